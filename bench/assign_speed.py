"""`passerelle assign` against the LP it solves: the analyst's command, in process, with the model learned
once from the history (first run) and read from the cache after (every later run), beside HiGHS solving
the same assignment as a linear programme over every feasible pair; and the whole command as a process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from arrivals import lp_seconds
from rich.console import Console

from passerelle.assign_command import run_assign
from passerelle.synthetic import make_openings, make_population, past_outcomes
from services.matching.domain.engine import MatchingEngine

RUNS = 3


@dataclass(frozen=True)
class AssignSpeed:
    people: int
    openings: int
    history: int
    first_s: float  # learning included
    cached_s: float  # the best of RUNS, the model from the cache
    lp_s: float  # the best of RUNS
    process_s: float  # `passerelle assign` as a process, cached model, imports included


def assign_speed(n: int, m: int, seed: int = 7) -> AssignSpeed:
    rng = np.random.default_rng(seed)
    openings = make_openings(m, rng)
    history = past_outcomes(make_population(20_000, rng, "h"), MatchingEngine(openings), rng)
    people = make_population(n, rng, "a").profiles
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        files = folder / "openings.jsonl", folder / "profiles.jsonl", folder / "history.jsonl"
        files[0].write_text("".join(o.model_dump_json() + "\n" for o in openings))
        files[1].write_text("".join(p.model_dump_json() + "\n" for p in people))
        files[2].write_text("".join(r.model_dump_json() + "\n" for r in history))
        os.environ["PASSERELLE_CACHE_DIR"] = str(folder / "cache")
        quiet = Console(stderr=True, quiet=True)

        def assign() -> float:
            started = time.perf_counter()
            run_assign(*files[:2], files[2], folder / "out.jsonl", 20, quiet)
            return time.perf_counter() - started

        first = assign()
        cached = min(assign() for _ in range(RUNS))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "passerelle", "assign", "--openings", str(files[0]), "--profiles", str(files[1]),
             "--history", str(files[2]), "--out", str(folder / "out.jsonl")],
            check=True, capture_output=True,
        )  # fmt: skip
        process = time.perf_counter() - started
    engine = MatchingEngine(openings)
    pool = engine.score_batch(people, pool_k=10_000)
    lp = min(lp_seconds(n, pool.people, pool.openings, pool.values, engine.table.seats) for _ in range(RUNS))
    return AssignSpeed(n, m, len(history), first, cached, lp, process)
