"""`passerelle assign` as an analyst runs it: JSONL in, JSONL out, exit code 2 naming line and field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from passerelle.synthetic import make_openings, make_population


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passerelle", "assign", *args], capture_output=True, text=True, timeout=120
    )


def _files(tmp_path: Path, n: int = 200, m: int = 30) -> tuple[Path, Path]:
    rng = np.random.default_rng(5)
    openings, profiles = tmp_path / "openings.jsonl", tmp_path / "profiles.jsonl"
    openings.write_text("".join(o.model_dump_json() + "\n" for o in make_openings(m, rng, seat_scale=0.3)))
    profiles.write_text("".join(p.model_dump_json() + "\n" for p in make_population(n, rng).profiles))
    return openings, profiles


def test_every_profile_gets_a_line_and_seats_are_respected(tmp_path: Path) -> None:
    openings, profiles = _files(tmp_path)
    out = tmp_path / "assignments.jsonl"

    result = _run("--openings", str(openings), "--profiles", str(profiles), "--out", str(out))

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 200
    assert set(lines[0]) == {"beneficiary_id", "opening_id", "score", "reasons"}
    seats = {json.loads(line)["opening_id"]: json.loads(line)["seats"] for line in openings.read_text().splitlines()}
    placed = [line["opening_id"] for line in lines if line["opening_id"]]
    assert placed, "somebody should be placed"
    assert all(placed.count(o) <= seats[o] for o in set(placed))
    assert all(line["score"] is None and line["reasons"] == [] for line in lines if line["opening_id"] is None)
    assert all(line["reasons"][0].startswith("réussite estimée") for line in lines if line["opening_id"])
    assert "expected successes" in result.stderr


def test_a_bad_record_exits_2_naming_the_line_and_field(tmp_path: Path) -> None:
    openings, profiles = _files(tmp_path, n=5)
    lines = profiles.read_text().splitlines()
    bad = json.loads(lines[2]) | {"french_level": "Z9"}
    profiles.write_text("\n".join([*lines[:2], json.dumps(bad), *lines[3:]]) + "\n")

    result = _run("--openings", str(openings), "--profiles", str(profiles))

    assert result.returncode == 2
    assert "profiles.jsonl:3: french_level" in result.stderr


def test_a_duplicate_beneficiary_exits_2(tmp_path: Path) -> None:
    openings, profiles = _files(tmp_path, n=3)
    lines = profiles.read_text().splitlines()
    profiles.write_text("\n".join([*lines, lines[0]]) + "\n")

    result = _run("--openings", str(openings), "--profiles", str(profiles))

    assert result.returncode == 2
    assert "appears twice" in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = _run("--openings", str(tmp_path / "none.jsonl"), "--profiles", str(tmp_path / "none.jsonl"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr
