"""`passerelle evaluate --history FILE` as anyone runs it: a synthetic history in, the figures printed, a
report with its plots written; bad input exits with code 2 naming the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from passerelle.backtest import POLICIES, backtest
from services.matching.service_layer.history import OutcomeRecord, read_jsonl


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "passerelle", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "history.jsonl"
    made = _run("synthetic-history", "--out", str(path), "--people", "4000", "--openings", "60", "--seed", "3")
    assert made.returncode == 0, made.stderr
    return path


def test_the_back_test_prints_its_figures_and_writes_a_report_with_plots(history: Path, tmp_path: Path) -> None:
    report = tmp_path / "rapport" / "evaluation.html"

    result = _run("evaluate", "--history", str(history), "--out", str(report))

    assert result.returncode == 0, result.stderr
    assert "part du gain de l'optimum captée" in result.stdout and "groupe = B" in result.stdout
    page = report.read_text(encoding="utf-8")
    for plot in ("politiques", "calibration", "groupes"):
        assert (tmp_path / "rapport" / f"evaluation-{plot}.png").stat().st_size > 5_000
        assert f'src="evaluation-{plot}.png"' in page
    assert "Part du gain de l'optimum captée par Passerelle" in page


def test_the_figures_hold_together(history: Path) -> None:
    records: list[OutcomeRecord] = list(read_jsonl(history, OutcomeRecord))  # type: ignore[arg-type]

    b = backtest(records, holdout=0.3, seed=1, step=lambda _: None)

    assert b.trained_on == len(records) - round(len(records) * 0.3) and b.seats == b.held_out
    assert b.expected["optimum"] >= max(b.expected["fcfs"], b.expected["passerelle"]) - 1e-6  # under the judge
    assert b.expected["passerelle"] > b.expected["fcfs"]
    assert all(b.placed[p] <= b.seats for p in POLICIES)
    assert sum(g.people for g in b.groups) == b.held_out and {g.value for g in b.groups} == {"A", "B"}
    assert sum(count for _, _, count in b.calibration) == b.held_out
    assert 0 < b.gain_captured <= 1


def test_a_bad_line_or_too_short_a_history_exits_2_naming_it(history: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    lines = history.read_text().splitlines()
    broken.write_text("\n".join([*lines[:3], lines[3].replace('"success":', '"succes":'), *lines[4:10]]) + "\n")
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(lines[:120]) + "\n")

    bad = _run("evaluate", "--history", str(broken), "--out", str(tmp_path / "r.html"))
    few = _run("evaluate", "--history", str(short), "--out", str(tmp_path / "r.html"))

    assert bad.returncode == 2 and f"{broken}:4" in bad.stderr and "succes" in bad.stderr
    assert few.returncode == 2 and "need 50 each" in few.stderr
    assert not (tmp_path / "r.html").exists()  # nothing written
