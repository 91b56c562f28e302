"""Trained models as an analyst uses them, as processes: `passerelle train` writes one, `assign` and
`match` score with it, `assign --history` learns once per history and reads the cache after; a model
that cannot be used, or a wrong combination of options, exits with code 2 naming the problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from passerelle.synthetic import HOUSING_AND_MOVING, make_openings, make_population, past_outcomes
from services.matching.domain.engine import MatchingEngine
from shared.contract.events import SuccessModelTrained
from tests.factories import profile


def _run(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PASSERELLE_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "passerelle", *args], capture_output=True, text=True, timeout=180, env=env
    )


def _world(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(8)
    catalogue = make_openings(25, rng)
    history = past_outcomes(make_population(3000, rng, "h"), MatchingEngine(catalogue), rng, HOUSING_AND_MOVING)
    files = tmp_path / "openings.jsonl", tmp_path / "profiles.jsonl", tmp_path / "history.jsonl"
    files[0].write_text("".join(o.model_dump_json() + "\n" for o in catalogue))
    files[1].write_text("".join(p.model_dump_json() + "\n" for p in make_population(150, rng, "a").profiles))
    files[2].write_text("".join(r.model_dump_json() + "\n" for r in history))
    return files


def test_a_trained_model_is_written_and_assign_and_match_score_with_it(tmp_path: Path) -> None:
    openings, profiles, history = _world(tmp_path)
    model = tmp_path / "model.json"

    trained = _run(tmp_path / "cache", "train", "--history", str(history), "--out", str(model))

    assert trained.returncode == 0, trained.stderr
    artefact = SuccessModelTrained.model_validate_json(model.read_text())
    assert artefact.columns is not None and len(artefact.columns) == len(artefact.weights) >= 10
    assert "modèle écrit / model written" in trained.stdout
    out = tmp_path / "assignments.jsonl"
    assigned = _run(tmp_path / "cache", "assign", "--openings", str(openings), "--profiles", str(profiles),
                    "--model", str(model), "--out", str(out))  # fmt: skip
    assert assigned.returncode == 0, assigned.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 150 and any(line["opening_id"] for line in lines)
    assert all(line["reasons"][0].startswith("réussite estimée") for line in lines if line["opening_id"])
    assert artefact.family is not None and artefact.family in assigned.stderr.replace("\n", " ")
    person = tmp_path / "person.json"
    person.write_text(profile(birth_date="2005-03-14", department="67").model_dump_json())
    matched = _run(tmp_path / "cache", "match", str(person), "--json", "--model", str(model))
    assert matched.returncode == 0, matched.stderr
    scores = [v["score"] for v in json.loads(matched.stdout) if v["eligible"]]
    assert scores and all(0 <= s <= 1 for s in scores)


def test_assign_learns_once_per_history_and_gives_the_same_assignment_from_the_cache(tmp_path: Path) -> None:
    openings, profiles, history = _world(tmp_path)
    cache = tmp_path / "cache"
    runs = []
    for k in range(2):
        out = tmp_path / f"run-{k}.jsonl"
        result = _run(cache, "assign", "--openings", str(openings), "--profiles", str(profiles),
                      "--history", str(history), "--out", str(out))  # fmt: skip
        assert result.returncode == 0, result.stderr
        runs.append((out.read_text(), " ".join(result.stderr.split())))

    assert runs[0][0] == runs[1][0]
    assert "learned from this history before" not in runs[0][1]
    assert "learned from this history before" in runs[1][1]
    assert len(list(cache.glob("*.json"))) == 1
    history.write_text(history.read_text() + history.read_text().splitlines()[0] + "\n")  # another history
    again = _run(cache, "assign", "--openings", str(openings), "--profiles", str(profiles), "--history", str(history))
    assert again.returncode == 0 and "learned from this history before" not in " ".join(again.stderr.split())
    assert len(list(cache.glob("*.json"))) == 2


def test_an_unusable_model_file_exits_2_naming_the_problem(tmp_path: Path) -> None:
    openings, profiles, history = _world(tmp_path)
    model = tmp_path / "model.json"
    assert _run(tmp_path / "cache", "train", "--history", str(history), "--out", str(model)).returncode == 0
    body = json.loads(model.read_text())
    body["columns"][3]["signal"] = "nationality"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(body))
    body["columns"][3]["signal"], body["weights"][0] = "french_level", float("inf")
    infinite = tmp_path / "infinite.json"
    infinite.write_text(json.dumps(body))

    for path, reason in ((broken, "columns.3.signal"), (infinite, "n'est pas un nombre fini")):
        result = _run(tmp_path / "cache", "assign", "--openings", str(openings), "--profiles", str(profiles),
                      "--model", str(path))  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert reason in result.stderr
    both = _run(tmp_path / "cache", "assign", "--openings", str(openings), "--profiles", str(profiles),
                "--model", str(model), "--history", str(history))  # fmt: skip
    assert both.returncode == 2 and "--history or --model, not both" in both.stderr
    few = tmp_path / "few.jsonl"
    few.write_text("".join(history.read_text().splitlines(keepends=True)[:20]))
    too_few = _run(tmp_path / "cache", "train", "--history", str(few), "--out", str(tmp_path / "none.json"))
    assert too_few.returncode == 2 and "need 50" in too_few.stderr
    assert not (tmp_path / "none.json").exists()
