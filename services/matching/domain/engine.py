"""The matching engine: scores (newcomer, opening) pairs with the success model, proposes in real time
against the seats' dual prices, and assigns batches optimally under capacity."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from services.matching.domain.assignment import Assignment, solve_assignment
from services.matching.domain.features import FEATURES, pair_signals
from services.matching.domain.households import HOUSEHOLD_NOTE, Pairs, households_of, keep_households_together
from services.matching.domain.occupations import OccupationSpace, occupation_tokens
from services.matching.domain.reasons import top_reasons
from services.matching.domain.success_model import SuccessModel, prior_model
from services.matching.domain.tables import COMMUTING, OpeningTable, ProfileTable, eligible_pairs, reachable_pairs
from services.matching.domain.urgency import URGENCY_WEIGHT, urgency
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening
from shared.contract.paris_time import paris_today

PREFERENCE_BONUS = 0.05
# At a window's close, a provisional hold is kept unless moving gains more than this (no move for a tie).
STABILITY_BONUS = 0.01
# Sampled futures averaged into a seat's potential at a window's close: 1 gave 97.7 % of the batch
# optimum's objective at 1,500 x 60 (20 daily windows), 5 gave 98.4 %, 10 gave 98.6 % (bench/).
SAMPLED_FUTURES = 8
# An arrival takes a scarce seat when its value beats this share of the seat's dual price. Prices come
# from a batch of other people, so they are noisy; 0.9 was best on the synthetic benchmark (bench/).
PRICE_WEIGHT = 0.9
# Up to this many openings, a batch scores every person against the whole catalogue in blocks of 256
# (1,500 x 60: 6 blocks instead of 243, one per département, region and mobility).
SMALL_CATALOGUE = 512
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Candidate:
    opening: ProgrammeOpening
    probability: float
    value: float  # what assignment maximises: probability plus the preference and urgency bonuses
    features: np.ndarray  # the model's columns for this pair
    signals: np.ndarray  # the pair's signals, which the columns were computed from
    price: float = 0.0  # the seat's dual price from the last batch solve

    @property
    def worth_a_seat(self) -> bool:
        """The online rule: take a scarce seat only if this newcomer gains more than (most of) its price."""
        return self.value > PRICE_WEIGHT * self.price


def pair_signals_for(
    profiles: Sequence[BeneficiaryProfile],
    openings: Sequence[ProgrammeOpening],
    catalogue: Sequence[ProgrammeOpening] | None = None,
) -> np.ndarray:
    """Signals of aligned pairs (profiles[k], openings[k]), e.g. to learn from past outcomes. The
    occupational similarity is weighed over `catalogue` (by default the pairs' own openings), as an engine
    over that catalogue weighs it."""
    unique = list({o.opening_id: o for o in [*(catalogue or ()), *openings]}.values())
    engine = MatchingEngine(unique)
    table = ProfileTable.build(profiles)
    oj = np.array([engine._index[o.opening_id] for o in openings], dtype=np.int64)
    vectors = engine.space.profiles(table.tokens)
    similarity = np.asarray(vectors.multiply(engine.space.openings[oj]).sum(axis=1)).ravel()
    exact = np.asarray(engine.space.codes_of(vectors).multiply(engine.space.opening_codes[oj]).sum(axis=1)).ravel() > 0
    return pair_signals(table, np.arange(len(profiles)), engine.table, oj, similarity, exact)


def pair_features_for(profiles: Sequence[BeneficiaryProfile], openings: Sequence[ProgrammeOpening]) -> np.ndarray:
    """The pair features of aligned pairs (the first columns of every model)."""
    return pair_signals_for(profiles, openings)[:, : len(FEATURES)]


def design_for(
    model: SuccessModel,
    profiles: Sequence[BeneficiaryProfile],
    openings: Sequence[ProgrammeOpening],
    catalogue: Sequence[ProgrammeOpening] | None = None,
) -> np.ndarray:
    """`model`'s columns for aligned pairs (profiles[k], openings[k]): what it predicts from."""
    plan = model.plan
    signals = pair_signals_for(profiles, openings, catalogue)
    return plan.design(signals, plan.programme_index([o.programme for o in openings]))


@dataclass(frozen=True)
class CandidatePool:
    """Scored feasible pairs, each person's contiguous and best first; `boundary` is, per person, the
    best value left out of the pool (-inf when nothing was left out)."""

    table: ProfileTable
    people: np.ndarray
    openings: np.ndarray
    values: np.ndarray
    probabilities: np.ndarray
    boundary: np.ndarray


@dataclass(frozen=True)
class WindowSolution:
    opening_of: list[ProgrammeOpening | None]  # per member
    with_household: frozenset[int]  # members housed together with their household


@dataclass(frozen=True)
class BatchResult:
    profiles: list[BeneficiaryProfile]
    opening_of: list[ProgrammeOpening | None]
    probability: np.ndarray
    assignment: Assignment
    candidate_edges: int
    reasons: list[list[str]]
    rounds: int = 1
    certified_share: float = 1.0


def _rank_within(people: np.ndarray) -> np.ndarray:
    """Position of each row within its person's contiguous run."""
    if people.size == 0:
        return np.zeros(0, dtype=np.int64)
    index = np.arange(people.size)
    first = np.r_[True, people[1:] != people[:-1]]
    return index - np.maximum.accumulate(np.where(first, index, 0))


def _preference_adjustment(profile: BeneficiaryProfile, openings: Sequence[ProgrammeOpening]) -> np.ndarray:
    """+bonus for a preferred programme or département; -inf for a veto."""
    prefs = profile.preferences
    adjust = np.zeros(len(openings))
    if not (prefs.programmes or prefs.departments or prefs.vetoes):
        return adjust
    for k, opening in enumerate(openings):
        if opening.programme in prefs.vetoes or opening.opening_id in prefs.vetoes:
            adjust[k] = -np.inf
        elif opening.programme in prefs.programmes or opening.department in prefs.departments:
            adjust[k] = PREFERENCE_BONUS
    return adjust


class MatchingEngine:
    def __init__(
        self,
        openings: Sequence[ProgrammeOpening],
        model: SuccessModel | None = None,
        today: Callable[[], date] = paris_today,
    ) -> None:
        """`today`: the day legal delays are counted on (urgency, see `domain/urgency.py`)."""
        self.openings = list(openings)
        self.today = today
        self.table = OpeningTable.build(self.openings)
        self.space = OccupationSpace(self.table.tokens)
        self._by_token = self.space.openings.T.tocsr()
        self.model = model or prior_model()
        self._programme_of = self.model.plan.programme_index([o.programme for o in self.openings])
        self.prices = np.zeros(len(self.openings))
        self._index = {o.opening_id: k for k, o in enumerate(self.openings)}
        self._by_dept = self._group(self.table.dept)
        self._by_region = self._group(self.table.region)
        self._all = np.arange(len(self.openings))

    @staticmethod
    def _group(keys: np.ndarray) -> dict[int, np.ndarray]:
        return {int(k): np.flatnonzero(keys == k) for k in np.unique(keys)}

    def set_prices(self, prices: dict[str, float]) -> None:
        """Seat prices from the last batch solve, by opening id (unknown openings keep 0)."""
        self.prices = np.array([prices.get(o.opening_id, 0.0) for o in self.openings])

    def price_map(self) -> dict[str, float]:
        return {o.opening_id: float(p) for o, p in zip(self.openings, self.prices, strict=True) if p > 0}

    def _reachable_openings(self, dept: int, region: int, mobility: int) -> np.ndarray:
        if mobility == 2:
            return self._all
        if region >= 0 and (mobility == 1 or COMMUTING[region]):
            return self._by_region.get(region, self._all[:0])
        return self._by_dept.get(dept, self._all[:0])

    # -- one newcomer, in real time -------------------------------------------------------------
    def candidates(
        self, profile: BeneficiaryProfile, limit: int = 20, exclude: frozenset[str] = frozenset()
    ) -> list[Candidate]:
        """The `limit` best eligible, reachable, not vetoed (nor `exclude`d) openings, by value minus seat price."""
        table = ProfileTable.build([profile])
        oj = self._reachable_openings(int(table.dept[0]), int(table.region[0]), int(table.mobility[0]))
        if oj.size == 0:
            return []
        first = np.zeros(1, dtype=np.int64)
        oj = oj[eligible_pairs(table, first, self.table, oj)[0] & reachable_pairs(table, first, self.table, oj)[0]]
        if oj.size == 0:
            return []
        if exclude:
            oj = oj[[self.openings[j].opening_id not in exclude for j in oj]]
            if oj.size == 0:
                return []
        x, signals, probability = self._score_one(profile, table, oj)
        value = probability + _preference_adjustment(profile, [self.openings[j] for j in oj])
        if table.rsa_day[0] >= 0:
            value = value + URGENCY_WEIGHT * urgency(
                table, np.zeros(oj.size, dtype=np.int64), self.table, oj, self.today()
            )
        net = np.where(np.isfinite(value), value - self.prices[oj], -np.inf)
        if net.size > limit:
            best = np.argpartition(-net, limit - 1)[:limit]
            order = best[np.argsort(-net[best], kind="stable")]
        else:
            order = np.argsort(-net, kind="stable")
        return [
            Candidate(
                self.openings[oj[k]],
                float(probability[k]),
                float(value[k]),
                x[k],
                signals[k],
                float(self.prices[oj[k]]),
            )
            for k in order.tolist()
            if np.isfinite(value[k])
        ]

    def score_openings(self, profile: BeneficiaryProfile, opening_ids: Sequence[str]) -> dict[str, Candidate]:
        """Predicted success for the named openings, whatever the rules say (for explanations)."""
        oj = np.array([self._index[i] for i in opening_ids if i in self._index], dtype=np.int64)
        if oj.size == 0:
            return {}
        x, signals, probability = self._score_one(profile, ProfileTable.build([profile]), oj)
        return {
            self.openings[j].opening_id: Candidate(
                self.openings[j], float(probability[k]), float(probability[k]), x[k], signals[k]
            )
            for k, j in enumerate(oj)
        }

    def _score_one(
        self, profile: BeneficiaryProfile, table: ProfileTable, oj: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        indices, weights = self.space.profile_vector(occupation_tokens(profile.occupations, profile.skills))
        similarity = np.asarray(self._by_token[indices].T @ weights).ravel()[oj] if indices.size else np.zeros(oj.size)
        codes = indices[self.space.is_code[indices]]
        exact = np.asarray(self._by_token[codes].sum(axis=0)).ravel()[oj] > 0 if codes.size else np.zeros(oj.size, bool)
        x, signals = self._columns(table, np.zeros(oj.size, dtype=np.int64), oj, similarity, exact)
        return x, signals, self.model.predict(x)

    def _columns(
        self, table: ProfileTable, pi: np.ndarray, oj: np.ndarray, similarity: np.ndarray, exact: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The model's columns for the pairs (pi[k], oj[k]), and the signals they were computed from."""
        signals = pair_signals(table, pi, self.table, oj, similarity, exact)
        return self.model.plan.design(signals, self._programme_of[oj]), signals

    def reasons(self, profile: BeneficiaryProfile, candidate: Candidate) -> list[str]:
        return top_reasons(
            candidate.features, candidate.signals, self.model, profile, candidate.opening, candidate.probability
        )

    # -- a batch, optimally ---------------------------------------------------------------------
    def score_batch(
        self,
        profiles: Sequence[BeneficiaryProfile],
        pool_k: int = 80,
        progress: Progress | None = None,
        urgency: bool = True,
    ) -> CandidatePool:
        """Every feasible pair is scored; each person keeps their `pool_k` best, contiguous, best first.
        `urgency=False` leaves legal deadlines out (look-alikes: their deadline is not today's)."""
        table = ProfileTable.build(profiles)
        vectors = self.space.profiles(table.tokens)
        # People who can reach the same openings are scored together, each block against those openings
        # only; with a small catalogue, everyone against all of it (a block's reachability mask does the
        # rest) rather than hundreds of small blocks.
        groups: dict[tuple[str, int], list[int]] = {}
        small = len(self.openings) <= SMALL_CATALOGUE
        for i in range(len(table)):
            dept, region, mobility = int(table.dept[i]), int(table.region[i]), int(table.mobility[i])
            if small or mobility == 2:
                key = ("all", 0)
            elif region >= 0 and (mobility == 1 or COMMUTING[region]):
                key = ("region", region)
            else:
                key = ("dept", dept)
            groups.setdefault(key, []).append(i)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        boundary = np.full(len(table), -np.inf)
        for (kind, where), members in groups.items():
            oj = self._all if kind == "all" else (self._by_region if kind == "region" else self._by_dept).get(where)
            oj = self._all[:0] if oj is None else oj
            for start in range(0, len(members), 256):
                pi = np.array(members[start : start + 256], dtype=np.int64)
                if oj.size:
                    parts.append(self._score_block(table, vectors, profiles, pi, oj, pool_k, boundary, urgency))
                if progress:
                    progress(len(pi))
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return CandidatePool(table, empty, empty, np.zeros(0), np.zeros(0), boundary)
        people, openings, values, probabilities = (np.concatenate(column) for column in zip(*parts, strict=True))
        return CandidatePool(table, people, openings, values, probabilities, boundary)

    def _score_block(
        self,
        table: ProfileTable,
        vectors,  # type: ignore[no-untyped-def]
        profiles: Sequence[BeneficiaryProfile],
        pi: np.ndarray,
        oj: np.ndarray,
        pool_k: int,
        boundary: np.ndarray,
        urgent: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ok = eligible_pairs(table, pi, self.table, oj) & reachable_pairs(table, pi, self.table, oj)
        rows, cols = np.nonzero(ok)
        if rows.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0), np.zeros(0)
        similarity = (vectors[pi] @ self.space.openings[oj].T).toarray()[rows, cols]
        exact = (self.space.codes_of(vectors[pi]) @ self.space.opening_codes[oj].T).toarray()[rows, cols] > 0
        x, _ = self._columns(table, pi[rows], oj[cols], similarity, exact)
        probability = self.model.predict(x)
        value = probability.astype(np.float64)
        if urgent and (table.rsa_day[pi] >= 0).any():
            value += URGENCY_WEIGHT * urgency(table, pi[rows], self.table, oj[cols], self.today())
        for local in np.unique(rows):
            profile = profiles[pi[local]]
            prefs = profile.preferences
            if prefs.programmes or prefs.departments or prefs.vetoes:
                mask = rows == local
                value[mask] += _preference_adjustment(profile, [self.openings[j] for j in oj[cols[mask]]])
        keep = np.isfinite(value)
        rows, cols, value, probability = rows[keep], cols[keep], value[keep], probability[keep]
        order = np.lexsort((-value, rows))
        rows, cols, value, probability = rows[order], cols[order], value[order], probability[order]
        rank = _rank_within(rows)
        dropped = rank >= pool_k
        if dropped.any():
            np.maximum.at(boundary, pi[rows[dropped]], value[dropped])
        top = ~dropped
        return pi[rows[top]], oj[cols[top]], value[top], probability[top].astype(np.float64)

    def assign_batch(
        self,
        profiles: Sequence[BeneficiaryProfile],
        top_k: int = 20,
        progress: Progress | None = None,
        explain: bool = True,
        pool_k: int = 80,
        max_rounds: int = 10,
        rounds_budget_s: float = 15.0,
    ) -> BatchResult:
        """Maximise total predicted success (with preference bonuses) under seat capacities, exactly.

        Solves over each person's `top_k` best pairs, then adds, round by round, every pooled pair whose
        reduced cost is positive (column generation) until none is left; a person whose best pair outside
        the pool is worth no more than their dual utility is certified: no unseen pair could improve.
        No new round starts after `rounds_budget_s` of solving; the certified share says how far it got."""
        pool = self.score_batch(profiles, max(pool_k, top_k), progress)
        solving_since = time.perf_counter()
        seats = self.table.seats
        active = _rank_within(pool.people) < top_k
        rounds = 0
        while True:
            rounds += 1
            assignment = solve_assignment(
                len(profiles), pool.people[active], pool.openings[active], pool.values[active], seats
            )
            reduced = pool.values - assignment.utilities[pool.people] - assignment.prices[pool.openings]
            entering = ~active & (reduced > 1e-9)
            out_of_time = time.perf_counter() - solving_since > rounds_budget_s
            if not entering.any() or rounds >= max_rounds or out_of_time:
                break
            active |= entering
        self.prices = assignment.prices
        certified = pool.boundary <= assignment.utilities + 1e-9
        people, openings = pool.people[active], pool.openings[active]
        probabilities = pool.probabilities[active]
        together: set[int] = set()
        if groups := households_of(pool.table.household):
            repaired, together = keep_households_together(
                groups, assignment.opening_of, Pairs.build(len(profiles), people, openings, pool.values[active]),
                seats, self.table.offers_housing, self.table.dept,
            )  # fmt: skip
            value_of = dict(zip(zip(people.tolist(), openings.tolist(), strict=True), pool.values[active].tolist(),
                                strict=True))  # fmt: skip
            objective = sum(value_of[(i, j)] for i, j in enumerate(repaired.tolist()) if j >= 0)
            # The dual prices and utilities stay those of the solve before the repair.
            assignment = dataclasses.replace(assignment, opening_of=repaired, objective=objective)
        chosen_probability = np.zeros(len(profiles))
        reasons: list[list[str]] = [[] for _ in profiles]
        opening_of: list[ProgrammeOpening | None] = [None] * len(profiles)
        edge_of = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(people, openings, strict=True))}
        for i, j in enumerate(assignment.opening_of.tolist()):
            if j < 0:
                continue
            chosen_probability[i] = probabilities[edge_of[(i, j)]]
            opening_of[i] = self.openings[j]
        if explain:
            reasons = self._explain_assigned(pool.table, profiles, assignment.opening_of, chosen_probability)
            for i in together:
                reasons[i] = [*reasons[i], HOUSEHOLD_NOTE]
        return BatchResult(
            list(profiles), opening_of, chosen_probability, assignment, int(active.sum()), reasons,
            rounds=rounds, certified_share=float(certified.mean()) if len(certified) else 1.0,
        )  # fmt: skip

    def resolve_window(
        self,
        members: Sequence[BeneficiaryProfile],
        current: Sequence[str | None],
        exclude: Sequence[frozenset[str]],
        seats: np.ndarray,
        lookalikes: Sequence[BeneficiaryProfile] = (),
        arrival_days: np.ndarray | None = None,
        days_to_refer: np.ndarray | None = None,
        samples: int = SAMPLED_FUTURES,
        seed: int = 0,
        pool_k: int = 80,
    ) -> WindowSolution:
        """A closed decision window: the `members` (each holding `current` provisionally, never sent to an
        opening in their `exclude`) assigned together to the `seats` left to them, each seat priced at its
        *potential*: what the people still to come would make of it. The potential is the seat's dual
        price in a joint solve of the members with a sampled future — `len(arrival_days)` people drawn from
        `lookalikes` (past arrivals), the k-th arriving `arrival_days[k]` days from now and unable to take
        an opening whose `days_to_refer` are over by then — averaged over `samples` futures (dynamic
        refugee matching with potentials). A member gets a seat only if it beats the seat's potential.
        Households are then housed together or not at all (`domain/households.py`)."""
        if not members:
            return WindowSolution([], frozenset())
        pool = self.score_batch(members, pool_k)
        people, openings, values = pool.people, pool.openings, pool.values.copy()
        keep = np.ones(people.size, dtype=bool)
        for i, excluded in enumerate(exclude):
            if excluded:
                banned = np.array([self._index[o] for o in excluded if o in self._index], dtype=np.int64)
                keep &= ~((people == i) & np.isin(openings, banned))
        held = np.array([self._index.get(c, -1) if c else -1 for c in current], dtype=np.int64)
        values[openings == held[people]] += STABILITY_BONUS
        people, openings, values = people[keep], openings[keep], values[keep]
        potentials = np.zeros(len(self.openings))
        if len(lookalikes) and arrival_days is not None and arrival_days.size:
            to_refer = days_to_refer if days_to_refer is not None else np.full(len(self.openings), np.inf)
            future = self.score_batch(lookalikes, pool_k, urgency=False)
            order = np.argsort(future.people, kind="stable")
            ghost_of, ghost_opening, ghost_value = future.people[order], future.openings[order], future.values[order]
            starts = np.searchsorted(ghost_of, np.arange(len(lookalikes) + 1))
            rng = np.random.default_rng(seed)
            for _ in range(samples):
                drawn = rng.integers(len(lookalikes), size=arrival_days.size)  # with replacement
                counts = starts[drawn + 1] - starts[drawn]
                rows = np.repeat(starts[drawn] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
                arrives = np.repeat(arrival_days, counts)
                open_then = to_refer[ghost_opening[rows]] >= arrives
                solved = solve_assignment(
                    len(members) + arrival_days.size,
                    np.concatenate([people, len(members) + np.repeat(np.arange(arrival_days.size), counts)[open_then]]),
                    np.concatenate([openings, ghost_opening[rows][open_then]]),
                    np.concatenate([values, ghost_value[rows][open_then]]),
                    seats,
                )  # fmt: skip
                potentials += solved.prices / samples
        solved = solve_assignment(len(members), people, openings, values - potentials[openings], seats)
        chosen, together = solved.opening_of, set[int]()
        if groups := households_of([m.household_id for m in members]):
            chosen, together = keep_households_together(
                groups, chosen, Pairs.build(len(members), people, openings, values - potentials[openings]),
                seats, self.table.offers_housing, self.table.dept,
            )  # fmt: skip
        return WindowSolution([self.openings[j] if j >= 0 else None for j in chosen.tolist()], frozenset(together))

    def _explain_assigned(
        self,
        table: ProfileTable,
        profiles: Sequence[BeneficiaryProfile],
        opening_of: np.ndarray,
        probability: np.ndarray,
    ) -> list[list[str]]:
        reasons: list[list[str]] = [[] for _ in profiles]
        pi = np.flatnonzero(opening_of >= 0)
        if pi.size == 0:
            return reasons
        oj = opening_of[pi]
        vectors = self.space.profiles([table.tokens[i] for i in pi])
        similarity = np.asarray(vectors.multiply(self.space.openings[oj]).sum(axis=1)).ravel()
        exact = np.asarray(self.space.codes_of(vectors).multiply(self.space.opening_codes[oj]).sum(axis=1)).ravel() > 0
        x, signals = self._columns(table, pi, oj, similarity, exact)
        for k, i in enumerate(pi.tolist()):
            reasons[i] = top_reasons(
                x[k], signals[k], self.model, profiles[i], self.openings[oj[k]], float(probability[i])
            )
        return reasons
