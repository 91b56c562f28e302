"""A hold-out back-test on past referrals: what first-come-first-served, Passerelle and the optimum would
have made of the last cohort, with the seats that cohort actually used.

The history is split in file order (oldest first): Passerelle learns its model from the earlier part
only. The hold-out cohort's own outcomes train a separate *evaluation* model, of another family
(gradient-boosted trees, so that it does not simply agree with Passerelle's logistic model), which
estimates every (newcomer, opening) pair's chance of success — including pairs that never happened — so
that the three policies are scored alike; the observed outcomes also check how well Passerelle's model
is calibrated.
Group columns (`monitoring`) are only counted, never given to either model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from services.matching.domain.assignment import first_come_first_served, solve_assignment
from services.matching.domain.engine import MatchingEngine, design_for, pair_signals_for
from services.matching.domain.model_choice import MIN_HISTORY, calibration_table
from services.matching.domain.model_columns import ColumnPlan, programme_effects
from services.matching.service_layer.history import OutcomeRecord, TrainingReport, learn_from
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening

POLICIES = ("fcfs", "passerelle", "optimum")
LABELS = {
    "fcfs": "premier arrivé, premier servi / first come, first served",
    "passerelle": "Passerelle (lot optimal) / Passerelle (optimal batch)",
    "optimum": "optimum a posteriori / hindsight optimum",
    "actual": "orientations réelles / actual referrals",
}
Step = Callable[[str], None]


class TooLittleHistory(ValueError):
    """Not enough history to split (the message is French first)."""


@dataclass(frozen=True)
class GroupRates:
    column: str
    value: str
    people: int
    placed: dict[str, float]  # per policy: share of the group given a seat
    observed_success: float  # in the actual referrals


@dataclass(frozen=True)
class Backtest:
    trained_on: int
    held_out: int
    openings: int
    seats: int
    model: TrainingReport  # Passerelle's, from the earlier part
    expected: dict[str, float]  # expected successes per policy (and "actual"), under the evaluation model
    placed: dict[str, int]
    observed_successes: int
    calibration: list[tuple[float, float, int]]  # Passerelle's model on the actual hold-out pairs
    brier: float
    log_loss: float
    groups: list[GroupRates]

    @property
    def gain_captured(self) -> float:
        """Passerelle's share of the optimum's gain over first-come-first-served."""
        gain = self.expected["optimum"] - self.expected["fcfs"]
        return (self.expected["passerelle"] - self.expected["fcfs"]) / gain if gain > 0 else 1.0


def _unique_openings(records: Sequence[OutcomeRecord]) -> list[ProgrammeOpening]:
    return list({r.opening.opening_id: r.opening for r in records}.values())


def backtest(records: Sequence[OutcomeRecord], holdout: float = 0.3, seed: int = 0, step: Step = print) -> Backtest:
    """`records` oldest first; the last `holdout` share is the cohort replayed."""
    if not 0.05 <= holdout <= 0.95:
        raise TooLittleHistory(
            f"la part retenue doit être entre 0,05 et 0,95, pas {holdout} / holdout must be between 0.05 and 0.95"
        )
    cut = len(records) - round(len(records) * holdout)
    earlier, seen, cohort = list(records[:cut]), set[str](), []
    for record in records[cut:]:  # a person once in the cohort: their first referral there
        if record.profile.beneficiary_id not in seen:
            seen.add(record.profile.beneficiary_id)
            cohort.append(record)
    if len(earlier) < MIN_HISTORY or len(cohort) < MIN_HISTORY:
        raise TooLittleHistory(
            f"{len(records)} orientations : la période antérieure ({len(earlier)}) et la cohorte retenue "
            f"({len(cohort)}) en demandent {MIN_HISTORY} chacune / {len(records)} records: the earlier part "
            f"and the hold-out need {MIN_HISTORY} each"
        )
    step("apprentissage du modèle sur la période antérieure / learning from the earlier part")
    model = learn_from(earlier)
    step("modèle d'évaluation sur la cohorte retenue / evaluation model on the hold-out cohort")
    programmes = sorted({r.opening.programme for r in cohort})
    judge = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=seed)
    judge.fit(_columns([r.profile for r in cohort], [r.opening for r in cohort], programmes),
              np.array([r.success for r in cohort], dtype=int))  # fmt: skip
    openings = _unique_openings(cohort)
    index = {o.opening_id: j for j, o in enumerate(openings)}
    actual = np.array([index[r.opening.opening_id] for r in cohort], dtype=np.int64)
    seats = np.bincount(actual, minlength=len(openings)).astype(np.int64)
    openings = [o.model_copy(update={"seats": int(s)}) for o, s in zip(openings, seats, strict=True)]
    profiles = [r.profile for r in cohort]
    n = len(profiles)
    today = max(p.cir_signed_on for p in profiles)  # legal delays as they stood for the cohort, not now

    step("toutes les paires possibles, estimées / every feasible pair, estimated")
    pool = MatchingEngine(openings).score_batch(profiles, pool_k=10_000)  # which pairs the rules allow
    people, places = pool.people, pool.openings
    truth = judge.predict_proba(_columns([profiles[i] for i in people], [openings[j] for j in places], programmes))[
        :, 1
    ]
    edge = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(people, places, strict=True))}

    step("affectations : premier arrivé, Passerelle, optimum / assignments: FCFS, Passerelle, optimum")
    rng = np.random.default_rng(seed)
    chosen = {
        "fcfs": first_come_first_served(n, people, places, rng.random(len(people)), seats, best=True),
        "passerelle": MatchingEngine(openings, model.model, lambda: today)
        .assign_batch(profiles, explain=False)
        .assignment.opening_of,
        "optimum": solve_assignment(n, people, places, truth, seats).opening_of,
    }
    actual_p = judge.predict_proba(_columns(profiles, [r.opening for r in cohort], programmes))[:, 1]

    def expected(of: np.ndarray) -> np.ndarray:
        return np.array([truth[edge[(i, int(j))]] if j >= 0 and (i, int(j)) in edge else 0.0
                         for i, j in enumerate(of)])  # fmt: skip

    per_person = {name: expected(of) for name, of in chosen.items()}
    outcomes = np.array([r.success for r in cohort], dtype=int)
    predicted = _probabilities(model, cohort)
    clipped = np.clip(predicted, 1e-6, 1 - 1e-6)
    groups = []
    for column in sorted({c for r in cohort for c in r.monitoring}):
        values = np.array([r.monitoring.get(column, "(non renseigné)") for r in cohort])
        for value in sorted(set(values.tolist())):
            inside = values == value
            groups.append(GroupRates(
                column, value, int(inside.sum()),
                {name: float((of[inside] >= 0).mean()) for name, of in chosen.items()},
                float(outcomes[inside].mean()),
            ))  # fmt: skip
    return Backtest(
        trained_on=len(earlier), held_out=n, openings=len(openings), seats=int(seats.sum()),
        model=model,
        expected={**{name: float(v.sum()) for name, v in per_person.items()}, "actual": float(actual_p.sum())},
        placed={**{name: int((of >= 0).sum()) for name, of in chosen.items()}, "actual": n},
        observed_successes=int(outcomes.sum()),
        calibration=calibration_table(outcomes, predicted),
        brier=float(np.mean((predicted - outcomes) ** 2)),
        log_loss=float(-np.mean(outcomes * np.log(clipped) + (1 - outcomes) * np.log(1 - clipped))),
        groups=groups,
    )  # fmt: skip


def _columns(
    profiles: Sequence[BeneficiaryProfile], openings: Sequence[ProgrammeOpening], programmes: Sequence[str]
) -> np.ndarray:
    """The evaluation model's columns: every signal of the pairs, and an effect per programme in `programmes`."""
    signals = pair_signals_for(profiles, openings)
    plan = ColumnPlan(programme_effects(programmes))
    return np.hstack([signals, plan.design(signals, plan.programme_index([o.programme for o in openings]))])


def _probabilities(report: TrainingReport, records: Sequence[OutcomeRecord]) -> np.ndarray:
    """A model's chance of success for the pairs that actually happened."""
    x = design_for(report.model, [r.profile for r in records], [r.opening for r in records])
    return np.asarray(report.model.predict(x), dtype=np.float64)
