"""`passerelle train --history HISTORY.jsonl --out MODEL.json`: the success model learned from past
outcomes, chosen by cross-validation, checked on every path, written as a `matching.model.v1` artefact
(what `assign --model` and `match --model` read, and what matching adopts from its topic)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from passerelle.assign_command import print_choice
from passerelle.model_files import train, usable
from passerelle.usage import UsageError


def run_train(history: Path, out: Path, console: Console) -> int:
    with console.status("apprentissage / learning"):
        report = train(history)
    if not report.learned:
        raise UsageError(f"{history}: {report.note}")
    out.write_text(usable(report, history).model_dump_json(indent=1) + "\n")
    console.print(
        f"{report.records} issues, {report.successes} réussites / outcomes, successes; "
        f"{len(report.model.columns)} colonnes / columns; {report.note}"
    )
    if report.choice is not None:
        print_choice(report.choice, console)
    console.print(f"modèle écrit / model written: {out}")
    return 0
