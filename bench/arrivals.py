"""Newcomers arriving over time, assigned as Passerelle would: first-come-first-served, pure online (seat
prices), online within decision windows (provisional holds re-solved at each close by the engine's own
`resolve_window`, with recent arrivals as look-alikes), against the batch of everyone at once and the
hindsight optimum under the true outcome model."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from passerelle.synthetic import ADDITIVE, World, make_openings, make_population, past_outcomes, true_success
from services.matching.domain.assignment import first_come_first_served, solve_assignment
from services.matching.domain.engine import PRICE_WEIGHT, MatchingEngine
from services.matching.domain.lookahead import RATE_DAYS, lookalike_days
from services.matching.service_layer.history import learn_from
from shared.contract.events import BeneficiaryProfile


def online(people: np.ndarray, openings: np.ndarray, values: np.ndarray, prices: np.ndarray, left: np.ndarray,
           arrivals: np.ndarray, chosen: np.ndarray) -> None:  # fmt: skip
    """`arrivals` one by one: each takes its best opening whose value beats the seat's price and has a seat
    left (`left` and `chosen` are updated in place). Rows must be sorted by person, then by value minus
    price, best first."""
    starts = np.searchsorted(people, np.arange(len(chosen) + 1))
    for person in arrivals.tolist():
        for k in range(starts[person], starts[person + 1]):
            j = openings[k]
            if values[k] <= prices[j]:
                break
            if left[j] > 0:
                left[j] -= 1
                chosen[person] = j
                break


def windowed(engine: MatchingEngine, profiles: list[BeneficiaryProfile], before: list[BeneficiaryProfile],
             people: np.ndarray, openings: np.ndarray, values: np.ndarray, prices: np.ndarray,
             seats: np.ndarray, windows: int) -> np.ndarray:  # fmt: skip
    """One window a day, arrivals spread evenly over the days, every opening taking referrals until the
    last day. Online holds within each window; at its close, the holders and the window's newcomers left
    without a seat re-solved together against the seats left (the holders' own included), alongside
    look-alikes from the most recent arrivals, as many as the arrival rate says are still to come — what
    matching's WindowCloser does (`domain/lookahead.py`)."""
    n = len(profiles)
    chosen = np.full(n, -1, dtype=np.int64)
    left = seats.astype(np.int64).copy()
    history = list(before)
    index = {o.opening_id: j for j, o in enumerate(engine.openings)}
    per_day = n / windows
    for day, arrivals in enumerate(np.array_split(np.arange(n), windows), start=1):
        online(people, openings, values, prices, left, arrivals, chosen)
        history.extend(profiles[i] for i in arrivals.tolist())
        if not (chosen[arrivals] >= 0).any():
            continue  # no provisional hold: referrals closes no window
        members = [profiles[i] for i in arrivals.tolist()]
        ids = {p.beneficiary_id for p in members}
        days = lookalike_days(per_day, windows - day)
        recent = round(per_day * RATE_DAYS)
        lookalikes = [p for p in reversed(history[-(recent + len(arrivals)) :]) if p.beneficiary_id not in ids]
        in_play = left.copy()
        held = chosen[arrivals]
        np.add.at(in_play, held[held >= 0], 1)
        current = [engine.openings[j].opening_id if j >= 0 else None for j in held.tolist()]
        to_refer = np.full(len(engine.openings), float(windows - day))
        decided = engine.resolve_window(members, current, [frozenset()] * len(members), in_play,
                                        lookalikes[:recent], days, to_refer, seed=day).opening_of  # fmt: skip
        chosen[arrivals] = [index[o.opening_id] if o else -1 for o in decided]
        left = in_play.copy()
        np.subtract.at(left, chosen[arrivals][chosen[arrivals] >= 0], 1)
    return chosen


def lp_seconds(n: int, people: np.ndarray, openings: np.ndarray, weights: np.ndarray, seats: np.ndarray) -> float:
    """HiGHS on the same assignment as a linear programme (each person at most one seat, each opening at most
    its seats), for a time to compare the engine's min-cost flow with."""
    e = len(people)
    rows = np.concatenate([people, n + openings])
    a = coo_matrix((np.ones(2 * e), (rows, np.tile(np.arange(e), 2))), shape=(n + len(seats), e)).tocsr()
    started = time.perf_counter()
    result = linprog(-weights, A_ub=a, b_ub=np.concatenate([np.ones(n), seats]), bounds=(0, 1), method="highs")
    elapsed = time.perf_counter() - started
    assert result.status == 0, result.message
    return elapsed


def _pair_draws(n: int, m: int, seed: int) -> np.ndarray:
    """A random preference per (person, opening), the same whatever model ranked the pairs: first come,
    first served is then the same baseline for every model compared on a world."""
    return np.random.default_rng(seed + 1).random((n, m))


@dataclass(frozen=True)
class SideBySide:
    world: str
    people: int
    openings: int
    seats: int
    windows: int
    history: int
    model: str
    captured: dict[str, float]  # share of the optimum's gain over first-come-first-served, per policy
    of_optimum: dict[str, float]  # expected successes as a share of the hindsight optimum
    own: dict[str, float]  # the engine's own objective (predicted success + bonuses), as a share of batch
    violations: int  # over every policy: seats beyond capacity, pairs the rules or mobility exclude
    batch_s: float  # passerelle's batch, scoring included
    flow_s: float  # its min-cost flow alone, over every feasible pair
    lp_s: float  # HiGHS on the same pairs as a linear programme


POLICIES = ("fcfs", "online", "windowed", "batch", "simpler", "ceiling", "optimum")


def side_by_side(n: int, m: int, windows: int, weeks: int = 3, seed: int = 7, world: World = ADDITIVE) -> SideBySide:
    rng = np.random.default_rng(seed)
    openings = make_openings(m, rng)
    history = past_outcomes(make_population(20_000, rng, "h"), MatchingEngine(openings), rng, world)
    report = learn_from(history)
    before_groups = learn_from(history, groups=False).model  # the learner as it was: no hinges, slopes, products
    engine = MatchingEngine(openings, report.model)
    seats = engine.table.seats.copy()
    # Seat prices from the last batch solve: `weeks` past windows' worth of arrivals against as many seats.
    before = make_population(n * weeks, rng, "w").profiles
    past = MatchingEngine(openings, report.model)
    past.table.seats = seats * weeks
    past.assign_batch(before, explain=False)
    prices = past.prices * PRICE_WEIGHT
    population = make_population(n, rng, "a")
    pool = engine.score_batch(population.profiles, pool_k=10_000)
    order = np.lexsort((-(pool.values - prices[pool.openings]), pool.people))
    people, opens, values = pool.people[order], pool.openings[order], pool.values[order]
    truth = true_success(population, pool.table, engine.table, people, opens, world)
    # What a matcher could reach that knew the true model but not the per-person and per-opening effects
    # hidden from it.
    unseen = dataclasses.replace(population, latent=np.zeros(n))
    seen = true_success(unseen, pool.table, engine.table, people, opens, world.seen())
    edge = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(people, opens, strict=True))}
    canon = np.lexsort((opens, people))

    def total(chosen: np.ndarray, weights: np.ndarray) -> float:
        return float(sum(weights[edge[(i, int(j))]] for i, j in enumerate(chosen) if j >= 0))

    started = time.perf_counter()
    solve_assignment(n, people, opens, values, seats)
    flow_s = time.perf_counter() - started
    started = time.perf_counter()
    batch = engine.assign_batch(population.profiles, explain=False).assignment.opening_of
    batch_s = time.perf_counter() - started
    simpler = MatchingEngine(openings, before_groups).assign_batch(population.profiles, explain=False)
    pure = np.full(n, -1, dtype=np.int64)
    online(people, opens, values, prices, seats.astype(np.int64).copy(), np.arange(n), pure)
    chosen = {
        "fcfs": first_come_first_served(n, people, opens, _pair_draws(n, m, seed)[people, opens], seats, best=True),
        "online": pure,
        "windowed": windowed(engine, population.profiles, before, people, opens, values, prices, seats, windows),
        "batch": batch,
        "simpler": simpler.assignment.opening_of,
        # In the pairs' own order, not the model's: where several assignments tie, the same one is taken
        # whatever model ranked the pairs.
        "ceiling": solve_assignment(n, people[canon], opens[canon], seen[canon], seats).opening_of,
        "optimum": solve_assignment(n, people[canon], opens[canon], truth[canon], seats).opening_of,
    }
    expected = {name: total(c, truth) for name, c in chosen.items()}
    violations = 0
    for of in chosen.values():  # one seat a person by construction (one opening index each)
        placed = of[of >= 0]
        violations += int(np.maximum(np.bincount(placed, minlength=m) - seats, 0).sum())
        violations += sum((i, int(j)) not in edge for i, j in enumerate(of) if j >= 0)
    own = {name: total(c, values) for name, c in chosen.items()}
    gain = expected["optimum"] - expected["fcfs"]
    return SideBySide(
        world=world.name, people=n, openings=m, seats=int(seats.sum()), windows=windows, history=report.records,
        model=report.note,
        captured={k: (v - expected["fcfs"]) / gain for k, v in expected.items()},
        of_optimum={k: v / expected["optimum"] for k, v in expected.items()},
        own={k: v / own["batch"] for k, v in own.items()},
        violations=violations, batch_s=batch_s, flow_s=flow_s, lp_s=lp_seconds(n, people, opens, values, seats),
    )  # fmt: skip


@dataclass(frozen=True)
class WorldRatio:
    world: str
    seeds: tuple[int, ...]
    batch: tuple[float, ...]  # share of the optimum's gain over FCFS captured, per seed
    simpler: tuple[float, ...]  # the same with pair features and programme effects only
    ceiling: tuple[float, ...]
    models: tuple[str, ...]
    violations: int

    @property
    def ratio(self) -> float:
        """The batch's share as a share of the ceiling's, over the seeds."""
        return float(np.mean(self.batch) / np.mean(self.ceiling))

    @property
    def simpler_ratio(self) -> float:
        return float(np.mean(self.simpler) / np.mean(self.ceiling))


def world_ratio(world: World, n: int, m: int, seeds: tuple[int, ...] = (7, 8, 9)) -> WorldRatio:
    runs = [side_by_side(n, m, 20, seed=seed, world=world) for seed in seeds]
    return WorldRatio(
        world.name, seeds, tuple(r.captured["batch"] for r in runs), tuple(r.captured["simpler"] for r in runs),
        tuple(r.captured["ceiling"] for r in runs), tuple(r.model for r in runs), sum(r.violations for r in runs),
    )  # fmt: skip
