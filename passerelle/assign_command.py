"""`passerelle assign`: batch assignment for analysts and what-if planning."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from passerelle.model_files import read_model, trained_for
from passerelle.usage import UsageError
from services.matching.domain.engine import BatchResult, MatchingEngine
from services.matching.domain.model_choice import ModelChoice
from services.matching.domain.success_model import SuccessModel, prior_model
from services.matching.service_layer.history import BadRecord, read_jsonl
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening


def _read_unique(path: Path, model: type[BeneficiaryProfile] | type[ProgrammeOpening], key: str) -> list:  # type: ignore[type-arg]
    records: list = []  # type: ignore[type-arg]
    seen: dict[str, int] = {}
    try:
        for number, record in enumerate(read_jsonl(path, model), start=1):
            ident = getattr(record, key)
            if ident in seen:
                raise UsageError(f"{path}: {key} {ident!r} appears twice (records {seen[ident]} and {number})")
            seen[ident] = number
            records.append(record)
    except BadRecord as exc:
        raise UsageError(str(exc)) from exc
    return records


def _model(
    history_path: Path | None, model_path: Path | None, console: Console
) -> tuple[SuccessModel, str, ModelChoice | None]:
    """The model to score with: a model file, what the history teaches (trained once per history, then
    cached), or the prior."""
    if model_path is not None:
        artefact = read_model(model_path)
        return SuccessModel.from_event(artefact), f"{artefact.source}, {artefact.family} ({model_path})", None
    if history_path is None:
        return prior_model(), "no history: prior weights", None
    with console.status("apprentissage sur l'historique / learning from the history"):
        artefact, note, choice, cached = trained_for(history_path)
    if cached:
        note += " (déjà appris sur cet historique / learned from this history before)"
    return SuccessModel.from_event(artefact), note, choice


def run_assign(
    openings_path: Path,
    profiles_path: Path,
    history_path: Path | None,
    out_path: Path | None,
    top_k: int,
    console: Console,
    model_path: Path | None = None,
) -> int:
    if history_path is not None and model_path is not None:
        raise UsageError("--history ou --model, pas les deux / --history or --model, not both")
    openings: list[ProgrammeOpening] = _read_unique(openings_path, ProgrammeOpening, "opening_id")
    profiles: list[BeneficiaryProfile] = _read_unique(profiles_path, BeneficiaryProfile, "beneficiary_id")
    if not openings:
        raise UsageError(f"{openings_path}: no openings")
    model, note, choice = _model(history_path, model_path, console)
    engine = MatchingEngine(openings, model)
    started = time.perf_counter()
    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal and len(profiles) < 1000,
    ) as progress:
        task = progress.add_task("scoring", total=len(profiles))
        result = engine.assign_batch(profiles, top_k, lambda n: progress.advance(task, n))
    elapsed = time.perf_counter() - started
    if out_path is None:
        _write(result, sys.stdout)
    else:
        with out_path.open("w") as handle:
            _write(result, handle)
    _summary(result, note, elapsed, console)
    if choice is not None:
        print_choice(choice, console)
    return 0


def print_choice(choice: ModelChoice, console: Console) -> None:
    losses = ", ".join(f"{name} {loss:.4f}" for name, loss in choice.cv_log_loss.items())
    console.print(
        f"modèle choisi par validation croisée / chosen by cross-validated log loss: {choice.chosen} "
        f"({losses}); Brier {choice.brier:.4f}"
    )


def _write(result: BatchResult, handle: TextIO) -> None:
    for profile, opening, probability, reasons in zip(
        result.profiles, result.opening_of, result.probability, result.reasons, strict=True
    ):
        line = {
            "beneficiary_id": profile.beneficiary_id,
            "opening_id": opening.opening_id if opening else None,
            "score": round(float(probability), 4) if opening else None,
            "reasons": reasons,
        }
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def _summary(result: BatchResult, model_note: str, elapsed: float, console: Console) -> None:
    placed = Counter(o.programme for o in result.opening_of if o is not None)
    table = Table(title="Assignment", title_justify="left")
    table.add_column("programme")
    table.add_column("placed", justify="right")
    for programme, count in sorted(placed.items()):
        table.add_row(programme, str(count))
    assigned = sum(1 for o in result.opening_of if o is not None)
    table.add_row("[bold]all[/]", f"[bold]{assigned} of {len(result.profiles)}[/]")
    console.print(table)
    console.print(
        f"expected successes {result.probability.sum():.1f}; {result.candidate_edges} candidate pairs; "
        f"solved in {elapsed:.1f} s; model: {model_note}"
    )
