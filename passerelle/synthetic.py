"""A synthetic population, openings and a known outcome model, for benchmarks and solver tests.

The true chance of success depends on the occupational fit, French, staying local, housing and a
programme effect, plus a per-person latent factor the matcher cannot see. A hidden group label (a
stand-in for a protected attribute) shifts the French level distribution only; it is never given to the
matcher and is used only to measure placement gaps.

Three worlds (`WORLDS`): in `ADDITIVE` each of those effects adds to the others, as the pair features
spell them out. In the other two, success depends on how the person and the opening meet, which the
pair features do not spell out, and each opening has a hidden effect of its own (its staff, its
employers): `HOUSING_AND_MOVING` (housing matters most to someone who moves; commuting hurts someone
who did not want to move) and `FRENCH_THRESHOLDS` (French pays off in steps above the bar; a French
course serves those with the least French; the occupational fit counts double in trade training)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy.sparse import csr_matrix

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.geography import DEPARTMENTS
from services.matching.domain.tables import OpeningTable, ProfileTable
from services.matching.service_layer.history import OutcomeRecord
from shared.contract.events import BeneficiaryProfile, Eligibility, ProgrammeOpening

ROME_POOL = (
    "A1203", "A1414", "F1701", "F1702", "F1703", "F1704", "F1602", "F1603", "G1602", "G1603", "G1801",
    "H2913", "H2902", "H2903", "H3302", "I1604", "J1301", "K1302", "K1303", "K2204", "N1101", "N1103",
    "N1105", "N4101", "N4105", "D1106", "D1507", "I1304", "H2102", "G1501",
)  # fmt: skip
KINDS = ("trade training", "youth insertion", "job pool", "french course", "relocation jobs")


@dataclass(frozen=True)
class Population:
    profiles: list[BeneficiaryProfile]
    group: np.ndarray  # the hidden attribute, 0 or 1
    latent: np.ndarray  # per-person effect on success the matcher cannot see


def make_openings(m: int, rng: np.random.Generator, seat_scale: float = 1.0) -> list[ProgrammeOpening]:
    openings = []
    for j in range(m):
        kind = KINDS[int(rng.integers(len(KINDS)))]
        dept = str(DEPARTMENTS[int(rng.integers(len(DEPARTMENTS)))])
        targets = [str(c) for c in rng.choice(ROME_POOL, size=int(rng.integers(1, 4)), replace=False)]
        rules: dict[str, object] = {"min_age": 18}
        if kind == "youth insertion":
            rules = {"min_age": 17, "max_age": 25, "min_french": "A2", "max_diploma_level": 0}
            targets = []
        elif kind == "job pool":
            rules = {"min_age": 16, "departments": [dept], "min_french": "A2"}
        elif kind == "french course":
            rules = {"min_age": 16, "max_french": "A1"}
            targets = []
        elif kind == "relocation jobs":
            rules = {"min_age": 18, "mobility_required": "national", "protection_statuses": ["refugee"]}
        elif kind == "trade training":
            rules = {"min_age": 18, "protection_statuses": ["refugee", "subsidiary"]}
        openings.append(
            ProgrammeOpening(
                opening_id=f"syn-{j:06d}",
                programme=kind,
                partner_id=f"partner-{j % 97:02d}",
                department=dept,
                starts_on=date(2027, 1, 4) + timedelta(days=int(rng.integers(0, 180))),
                seats=max(1, int(rng.integers(2, 30) * seat_scale)),
                eligibility=Eligibility.model_validate(rules),
                target_occupations=targets,
                offers_housing=bool(rng.random() < 0.35),
            )
        )
    return openings


def make_population(n: int, rng: np.random.Generator, prefix: str = "p") -> Population:
    group = (rng.random(n) < 0.3).astype(int)
    french_levels = ["none", "A1", "A2", "B1", "B2", "C1"]
    french_p = np.array([[0.10, 0.25, 0.30, 0.20, 0.10, 0.05], [0.20, 0.35, 0.25, 0.12, 0.06, 0.02]])
    profiles = []
    for i in range(n):
        occupations = [str(c) for c in rng.choice(ROME_POOL, size=int(rng.integers(0, 3)), replace=False)]
        profiles.append(
            BeneficiaryProfile(
                beneficiary_id=f"{prefix}-{i:07d}",
                birth_date=date(1966, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 43))),
                french_level=french_levels[int(rng.choice(6, p=french_p[group[i]]))],
                diploma_level=int(rng.choice(9, p=[0.3, 0.1, 0.1, 0.15, 0.15, 0.08, 0.07, 0.03, 0.02])),
                occupations=occupations,
                skills=[],
                department=str(DEPARTMENTS[int(rng.integers(len(DEPARTMENTS)))]),
                mobility=str(rng.choice(["none", "region", "national"], p=[0.45, 0.35, 0.20])),
                housing=str(rng.choice(["none", "cph", "cada", "adoma", "private"])),
                protection_status=str(rng.choice(["refugee", "subsidiary", "other"], p=[0.6, 0.25, 0.15])),
                rsa_applicant=bool(rng.random() < 0.15),
                consent_to_share=True,
                cir_signed_on=date(2026, 11, 16),
            )
        )
    return Population(profiles, group, rng.normal(0.0, 0.5, n))


@dataclass(frozen=True)
class World:
    name: str
    opening_spread: float = 0.0  # standard deviation of each opening's hidden effect on success

    def seen(self) -> World:
        """The same world without the hidden per-opening effect (what a matcher could at best learn)."""
        return World(self.name)


ADDITIVE = World("additive")
HOUSING_AND_MOVING = World("housing-and-moving", opening_spread=0.4)
FRENCH_THRESHOLDS = World("french-thresholds", opening_spread=0.4)
WORLDS = {w.name: w for w in (ADDITIVE, HOUSING_AND_MOVING, FRENCH_THRESHOLDS)}

PROGRAMME_EFFECT = {"trade training": 0.5, "youth insertion": 0.2, "job pool": 0.3, "french course": -0.4,
                    "relocation jobs": 0.1}  # fmt: skip


def _token_matrix(tokens: list[list[str]], prefix: str, vocabulary: dict[str, int]) -> csr_matrix:
    rows, cols = [], []
    for row, row_tokens in enumerate(tokens):
        for token in {t for t in row_tokens if t.startswith(prefix)}:
            rows.append(row)
            cols.append(vocabulary.setdefault(token, len(vocabulary)))
    return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(tokens), 1 << 16))


def _overlap(profiles: ProfileTable, openings: OpeningTable, pi: np.ndarray, oj: np.ndarray, prefix: str) -> np.ndarray:
    vocabulary: dict[str, int] = {}
    people = _token_matrix(profiles.tokens, prefix, vocabulary)
    places = _token_matrix(openings.tokens, prefix, vocabulary)
    return np.asarray(people[pi].multiply(places[oj]).sum(axis=1)).ravel() > 0


def _opening_effects(openings: OpeningTable, spread: float) -> np.ndarray:
    """Each opening's hidden effect: drawn from its id, so the same opening has the same one everywhere."""
    if spread == 0:
        return np.zeros(len(openings))
    return np.array(
        [np.random.default_rng(zlib.crc32(o.opening_id.encode())).normal(0.0, spread) for o in openings.openings]
    )


def true_success(
    population: Population,
    profiles: ProfileTable,
    openings: OpeningTable,
    pi: np.ndarray,
    oj: np.ndarray,
    world: World = ADDITIVE,
) -> np.ndarray:
    """The known outcome model: the probability that person pi[k] succeeds in opening oj[k]."""
    exact = _overlap(profiles, openings, pi, oj, "rome:")
    family = _overlap(profiles, openings, pi, oj, "fam:")
    french = np.maximum(profiles.french[pi], 0) / 6.0
    same_dept = profiles.dept[pi] == openings.dept[oj]
    same_region = profiles.region[pi] == openings.region[oj]
    needs = profiles.needs_housing[pi] == 1
    offers = openings.offers_housing[oj]
    kind = np.array([o.programme for o in openings.openings])[oj]
    effect_of = np.array([PROGRAMME_EFFECT[o.programme] for o in openings.openings])
    hidden = population.latent[pi] + _opening_effects(openings, world.opening_spread)[oj]
    if world.name == HOUSING_AND_MOVING.name:
        moves = ~same_region
        stayed_home = profiles.mobility[pi] == 0
        logit = (
            -1.0 + 1.4 * exact + 0.5 * family + 1.0 * french + 0.3 * same_dept
            + (needs & offers) * (0.3 + 1.2 * moves)
            - (needs & ~offers) * (0.3 + 1.4 * moves)
            - 0.9 * (~same_dept & stayed_home)
            + 0.5 * (moves & (profiles.mobility[pi] == 2) & ~needs)
        )  # fmt: skip
    elif world.name == FRENCH_THRESHOLDS.name:
        minimum = openings.min_french[oj]
        levels_above = np.where(minimum >= 0, np.maximum(profiles.french[pi], 0) - minimum, 0)
        course = kind == "french course"
        logit = (
            -1.0 + 0.5 * family + 0.3 * same_dept + 0.5 * (needs & offers) - 0.6 * (needs & ~offers)
            + 1.1 * (levels_above >= 1) + 0.4 * (levels_above >= 2)
            + np.where(course, -2.0 * french, 0.8 * french)
            + exact * np.where(kind == "trade training", 2.4, 1.0)
        )  # fmt: skip
    else:
        logit = (
            -1.2
            + 1.6 * exact
            + 0.6 * family
            + 1.2 * french
            + 0.3 * same_dept
            + 0.2 * same_region
            + 0.6 * (needs & offers)
            - 0.7 * (needs & ~offers)
        )
    return 1.0 / (1.0 + np.exp(-(logit + effect_of[oj] + hidden)))


def past_outcomes(
    population: Population, engine: MatchingEngine, rng: np.random.Generator, world: World = ADDITIVE
) -> list[OutcomeRecord]:
    """Past referrals: each person was sent to one random feasible opening, and succeeded or not."""
    pool = engine.score_batch(population.profiles, pool_k=10_000)
    canonical = np.lexsort((pool.openings, pool.people))  # the same draws whatever order the engine scored in
    table, people, openings = pool.table, pool.people[canonical], pool.openings[canonical]
    pick = np.zeros(len(population.profiles), dtype=np.int64) - 1
    order = rng.permutation(len(people))
    pick[people[order]] = openings[order]
    who = np.flatnonzero(pick >= 0)
    p = true_success(population, table, engine.table, who, pick[who], world)
    success = rng.random(len(who)) < p
    return [
        OutcomeRecord(profile=population.profiles[i], opening=engine.openings[j], success=bool(s))
        for i, j, s in zip(who.tolist(), pick[who].tolist(), success.tolist(), strict=True)
    ]
