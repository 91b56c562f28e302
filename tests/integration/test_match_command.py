"""`passerelle match`: run as a user would, as a process; exit code 2 names what is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.factories import profile


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passerelle", "match", *args], capture_output=True, text=True, timeout=60
    )


def test_json_lists_every_opening_eligible_first_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text(profile(birth_date="2005-03-14", department="67").model_dump_json())

    result = _run(str(path), "--json")

    assert result.returncode == 0, result.stderr
    verdicts = json.loads(result.stdout)
    assert len(verdicts) == 16
    assert {"opening_id", "programme", "eligible", "reasons", "score"} <= set(verdicts[0])
    flags = [v["eligible"] for v in verdicts]
    assert flags == sorted(flags, reverse=True)
    assert "epide-strasbourg-2027-01" in {v["opening_id"] for v in verdicts if v["eligible"]}
    assert all(v["score"] is None for v in verdicts if not v["eligible"])
    assert all(v["reasons"] for v in verdicts)


def test_text_output_says_why_not(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text(profile(birth_date="1990-01-01").model_dump_json())

    result = _run(str(path))

    assert result.returncode == 0
    assert "37 ans au démarrage (4 janvier 2027) : Epide s'adresse aux 25 ans au plus" in result.stdout


def test_an_invalid_profile_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    body = profile().model_dump(mode="json") | {"french_level": "B9"}
    path.write_text(json.dumps(body))

    result = _run(str(path))

    assert result.returncode == 2
    assert "french_level" in result.stderr


def test_a_file_that_is_not_json_exits_2_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "beneficiary_id": "b-1",\n  oops\n}')

    result = _run(str(path))

    assert result.returncode == 2
    assert "not valid JSON (line 3" in result.stderr


def test_a_missing_file_exits_2() -> None:
    result = _run("/nonexistent/profile.json")
    assert result.returncode == 2
    assert "cannot read" in result.stderr
