"""`passerelle evaluate --history FILE`: the hold-out back-test, printed and written as a report; and
`passerelle synthetic-history`, a history to try it on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from passerelle.backtest import TooLittleHistory, backtest
from passerelle.evaluation_report import print_figures, write_report
from passerelle.synthetic import make_openings, make_population, past_outcomes
from passerelle.usage import UsageError
from services.matching.domain.engine import MatchingEngine
from services.matching.service_layer.history import BadRecord, OutcomeRecord, read_jsonl

STEPS = 4


def run_evaluate(history: Path, out: Path, holdout: float, seed: int, progress_to: Console, figures_to: Console) -> int:
    try:
        records: list[OutcomeRecord] = list(read_jsonl(history, OutcomeRecord))  # type: ignore[arg-type]
    except BadRecord as exc:
        raise UsageError(str(exc)) from exc
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=progress_to) as bar:
        task = bar.add_task("lecture / reading", total=STEPS)

        def step(text: str) -> None:  # the bar counts the steps done; its text says the one under way
            bar.update(task, advance=0 if bar.tasks[0].description.startswith("lecture") else 1, description=text)

        try:
            result = backtest(records, holdout, seed, step)
        except TooLittleHistory as exc:
            raise UsageError(f"{history}: {exc}") from exc
        bar.update(task, completed=STEPS)
    written = write_report(result, out)
    print_figures(result, figures_to)
    progress_to.print(f"rapport écrit / report written: {', '.join(str(p) for p in written)}")
    return 0


def run_synthetic_history(out: Path, people: int, openings: int, seed: int, console: Console) -> int:
    """Past referrals from the synthetic world (each to a random feasible opening, its outcome drawn from
    the generator's hidden model), with the hidden group as a monitoring column."""
    if people < 1 or openings < 1:
        raise UsageError("--people et --openings valent au moins 1 / --people and --openings must be at least 1")
    rng = np.random.default_rng(seed)
    catalogue = make_openings(openings, rng)
    population = make_population(people, rng, "h")
    records = past_outcomes(population, MatchingEngine(catalogue), rng)
    group = {p.beneficiary_id: g for p, g in zip(population.profiles, population.group.tolist(), strict=True)}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            monitored = record.model_copy(
                update={"monitoring": {"groupe": "B" if group[record.profile.beneficiary_id] else "A"}}
            )
            handle.write(monitored.model_dump_json() + "\n")
    console.print(f"{len(records)} orientations passées écrites / past referrals written: {out}")
    return 0
