"""`make bench`: the matching engine's latency, batch scale and quality, printed as tables.

Targets (issue 4, 2-core machine): p99 <= 2 ms for one profile against 2,000 openings; 100k x 10k in
<= 60 s with peak RSS <= 4 GB; >= 99 % of the optimum of its own objective and a clear lift over
first-come-first-served."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from passerelle.synthetic import Population, make_openings, make_population, true_success
from services.matching.domain.assignment import first_come_first_served, solve_assignment
from services.matching.service_layer.engine import PRICE_WEIGHT, MatchingEngine
from services.matching.service_layer.history import OutcomeRecord, learn_from

HERE = Path(__file__).parent
console = Console()


def latency(openings_count: int = 2000, samples: int = 2000) -> dict[str, float]:
    rng = np.random.default_rng(1)
    engine = MatchingEngine(make_openings(openings_count, rng))
    profiles = make_population(samples, rng).profiles
    for profile in profiles[:100]:
        engine.candidates(profile)
    timings = []
    for profile in profiles:
        started = time.perf_counter()
        engine.candidates(profile)
        timings.append(time.perf_counter() - started)
    ms = np.array(timings) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)), "max_ms": float(ms.max())}


def batch(n: int, m: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(HERE / "batch_once.py"), str(n), str(m)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _history(population: Population, engine: MatchingEngine, rng: np.random.Generator) -> list[OutcomeRecord]:
    """Past referrals: each person was sent to one random feasible opening, and succeeded or not."""
    pool = engine.score_batch(population.profiles, pool_k=10_000)
    table, people, openings = pool.table, pool.people, pool.openings
    pick = np.zeros(len(population.profiles), dtype=np.int64) - 1
    order = rng.permutation(len(people))
    pick[people[order]] = openings[order]
    who = np.flatnonzero(pick >= 0)
    p = true_success(population, table, engine.table, who, pick[who])
    success = rng.random(len(who)) < p
    return [
        OutcomeRecord(profile=population.profiles[i], opening=engine.openings[j], success=bool(s))
        for i, j, s in zip(who.tolist(), pick[who].tolist(), success.tolist(), strict=True)
    ]


def _online(n: int, people: np.ndarray, openings: np.ndarray, values: np.ndarray, prices: np.ndarray,
            seats: np.ndarray) -> np.ndarray:  # fmt: skip
    """Arrivals one by one: the best value minus seat price, if positive, among openings with a seat left."""
    left = seats.astype(np.int64).copy()
    chosen = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((-(values - prices[openings]), people))
    starts = np.searchsorted(people[order], np.arange(n + 1))
    for person in range(n):
        for k in order[starts[person] : starts[person + 1]]:
            j = openings[k]
            if values[k] <= prices[j]:
                break
            if left[j] > 0:
                left[j] -= 1
                chosen[person] = j
                break
    return chosen


def quality(n: int = 10_000, m: int = 2_000, seat_scale: float = 0.15, weeks: int = 3) -> dict[str, float]:
    rng = np.random.default_rng(42)
    openings = make_openings(m, rng, seat_scale=seat_scale)
    report = learn_from(_history(make_population(20_000, rng, "h"), MatchingEngine(openings), rng))
    engine = MatchingEngine(openings, report.model)
    seats = engine.table.seats
    # Prices from the last batch solve: the past `weeks` weeks of arrivals against `weeks` x the seats.
    past = MatchingEngine(openings, report.model)
    past.table.seats = seats * weeks
    past.assign_batch(make_population(n * weeks, rng, "w").profiles, explain=False)
    prices = past.prices
    population = make_population(n, rng, "a")
    pool = engine.score_batch(population.profiles, pool_k=10_000)
    table, people, opens, values = pool.table, pool.people, pool.openings, pool.values
    truth = true_success(population, table, engine.table, people, opens)
    edge = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(people, opens, strict=True))}

    def total(chosen: np.ndarray, weights: np.ndarray) -> float:
        return float(sum(weights[edge[(i, int(j))]] for i, j in enumerate(chosen) if j >= 0))

    oracle = solve_assignment(n, people, opens, truth, seats)
    every_edge = solve_assignment(n, people, opens, values, seats)
    batch = engine.assign_batch(population.profiles, explain=False)
    batch_opt = batch.assignment
    online = _online(n, people, opens, values, prices * PRICE_WEIGHT, seats)
    status_quo = first_come_first_served(n, people, opens, rng.random(len(people)), seats, best=True)
    greedy = first_come_first_served(n, people, opens, values, seats, best=True)
    optimum = total(oracle.opening_of, truth)
    groups = population.group

    def gap(chosen: np.ndarray) -> float:
        placed = chosen >= 0
        return float(abs(placed[groups == 0].mean() - placed[groups == 1].mean()) * 100)

    return {
        "people": n,
        "openings": m,
        "seats": int(seats.sum()),
        "model": report.note,
        "history": report.records,
        "fcfs": total(status_quo, truth) / optimum,
        "greedy": total(greedy, truth) / optimum,
        "online": total(online, truth) / optimum,
        "batch": total(batch_opt.opening_of, truth) / optimum,
        "batch_own": batch_opt.objective / every_edge.objective,
        "online_own": total(online, values) / every_edge.objective,
        "gap_batch_pp": gap(batch_opt.opening_of),
        "gap_online_pp": gap(online),
        "gap_fcfs_pp": gap(status_quo),
        "rounds": batch.rounds,
        "certified": batch.certified_share,
        "pairs": len(people),
        "pairs_used": batch.candidate_edges,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-large", action="store_true", help="skip the 100k x 10k batch")
    args = parser.parse_args()

    with console.status("real-time latency…"):
        lat = latency()
    table = Table(title="Real-time proposal: one profile against 2,000 openings (engine scoring)")
    for column in ("p50", "p99", "max", "target p99"):
        table.add_column(column, justify="right")
    table.add_row(f"{lat['p50_ms']:.2f} ms", f"{lat['p99_ms']:.2f} ms", f"{lat['max_ms']:.2f} ms", "<= 2 ms")
    console.print(table)

    sizes = [(10_000, 2_000)] + ([] if args.skip_large else [(100_000, 10_000)])
    table = Table(title="Batch assignment (exact min-cost flow, column generation from each person's 80 best)")
    for column in ("profiles x openings", "pairs solved", "rounds", "certified", "assigned", "wall time", "peak RSS"):
        table.add_column(column, justify="right")
    for n, m in sizes:
        with console.status(f"batch {n:,} x {m:,}…"):
            result = batch(n, m)
        table.add_row(
            f"{n:,} x {m:,}", f"{result['edges']:,}", str(result["rounds"]), f"{result['certified']:.1%}",
            f"{result['assigned']:,}", f"{result['wall_s']:.1f} s", f"{result['peak_rss_mb']:.0f} MB",
        )  # fmt: skip
    console.print(table)

    with console.status("quality on synthetic data with a known outcome model…"):
        q = quality()
    table = Table(title=(f"Quality: {q['people']:,} arrivals, {q['openings']:,} openings, {q['seats']:,} seats; "
                         f"model {q['model']} on {q['history']:,} past outcomes"))  # fmt: skip
    for column in ("assignment", "expected successes / optimum", "placement gap, hidden group"):
        table.add_column(column, justify="right")
    table.add_row("first-come-first-served (any feasible seat)", f"{q['fcfs']:.1%}", f"{q['gap_fcfs_pp']:.1f} pp")
    table.add_row("first-come-first-served (own best seat)", f"{q['greedy']:.1%}", "")
    table.add_row("Passerelle online (seat prices)", f"{q['online']:.1%}", f"{q['gap_online_pp']:.1f} pp")
    table.add_row("Passerelle batch", f"{q['batch']:.1%}", f"{q['gap_batch_pp']:.1f} pp")
    table.add_row("optimum (true outcome model, hindsight)", "100.0%", "")
    console.print(table)
    console.print(
        f"batch: {q['rounds']} column-generation rounds, {q['pairs_used']:,} of {q['pairs']:,} feasible pairs, "
        f"{q['certified']:.1%} of people certified optimal"
    )
    console.print(
        f"of the optimum of its own objective (every feasible pair): batch {q['batch_own']:.2%}, "
        f"online {q['online_own']:.1%}; lift over first-come-first-served: "
        f"{q['batch'] / q['fcfs'] - 1:+.0%} (batch), {q['online'] / q['fcfs'] - 1:+.0%} (online)"
    )


if __name__ == "__main__":
    main()
