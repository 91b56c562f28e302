"""Learning the success model from past outcomes, and choosing what it may learn.

Candidates, by what their columns can say (`model_basis.py`): the pair features alone; with an effect per
programme (programmes with enough outcomes); with hinges, person x opening products and per-programme
slopes (what the history shows beyond straight lines). Each is an L2-regularised logistic regression on
standardised columns, calibrated (isotonic with enough history, sigmoid otherwise) on out-of-fold
decisions. The one with the lowest cross-validated log loss is kept; gradient-boosted trees over the same
signals are a yardstick of what a model that finds every interaction by itself would reach (reported,
never shipped).

One cross-validation serves both the choice and the calibration: the out-of-fold decisions that score a
candidate are the ones its calibrator is fitted on, as scikit-learn's `CalibratedClassifierCV(ensemble=
False)` would fit it, so a candidate costs its folds plus one final fit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from services.matching.domain import model_basis
from services.matching.domain.logistic_fit import calibrate, fit_logistic, one_thread
from services.matching.domain.model_columns import (
    MAX_NAME,
    PLAIN_COLUMNS,
    PROGRAMME_PREFIX,
    Column,
    ColumnPlan,
    programme_effects,
)
from services.matching.domain.success_model import SuccessModel

MIN_HISTORY = 50
# Isotonic calibration overfits small histories: on synthetic worlds of 1,600-3,300 outcomes its
# cross-validated log loss was 0.61-0.64 against 0.59-0.61 with sigmoid calibration (measured, docs/matching.md).
ISOTONIC_FROM = 5000
MIN_PER_PROGRAMME = 30  # outcomes a programme needs before it gets an effect of its own
MIN_PER_SLOPE = 150  # ... and before it gets slopes of its own
MAX_PROGRAMMES = 40
MIN_FOR_INTERACTIONS = 500  # below this many outcomes, the groups of columns are not tried
CV_FOLDS = 3
# Each cross-validation fold calibrates on folds of its own: below this many of either class, no choice.
MIN_PER_CLASS = 4 * CV_FOLDS
PLAIN, WITH_PROGRAMMES = "logistic", "logistic + programme effects"
# What may be added to either, group by group (`model_basis.py`).
MORE_FACTS, HINGES, SLOPES, PRODUCTS = "more facts", "hinges", "programme slopes", "products"
TREES = "gradient-boosted trees (yardstick)"
# L2 penalties on standardised columns: light on a column of its own (a pair feature, a fact of one side,
# a programme's effect: scikit-learn's default C=1), heavier on what bends or combines them (hinges,
# products, slopes), so that those are kept only where the outcomes support them.
BASE_PENALTY = 1.0
LEARNED_PENALTY = 1.0 / 0.3


class NotEnoughHistory(ValueError):
    pass


@dataclass(frozen=True)
class ModelChoice:
    """How the model was chosen: out-of-fold log loss per candidate, and the chosen one's calibration."""

    cv_log_loss: dict[str, float]
    chosen: str
    brier: float  # out of fold, the chosen candidate
    calibration: list[tuple[float, float, int]]  # per decile of predictions: mean predicted, observed, count


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """Predictions cut into `bins` groups of equal size: mean predicted, observed success rate, count."""
    order = np.argsort(p, kind="stable")
    return [
        (float(p[part].mean()), float(y[part].mean()), int(part.size))
        for part in np.array_split(order, min(bins, len(p)))
        if part.size
    ]


def _check(y: np.ndarray) -> None:
    if len(y) < MIN_HISTORY or min(int(y.sum()), len(y) - int(y.sum())) < 2:
        raise NotEnoughHistory(
            f"{len(y)} issues ({int(y.sum())} réussites) : il en faut {MIN_HISTORY}, dont 2 de chaque sorte / "
            f"{len(y)} outcomes: need {MIN_HISTORY}, with 2 of each kind at least"
        )


@dataclass(frozen=True)
class _Candidate:
    name: str
    columns: tuple[Column, ...]
    x: np.ndarray
    penalty: np.ndarray  # per column


@dataclass(frozen=True)
class _OutOfFold:
    decisions: np.ndarray
    probabilities: np.ndarray  # each calibrated without its own fold
    method: str  # the calibration that gave them: isotonic where it beat sigmoid out of fold


def _out_of_fold(candidate: _Candidate, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]) -> _OutOfFold:
    """Out-of-fold decisions, and out-of-fold probabilities each calibrated without its own fold: by a
    sigmoid, or (from ISOTONIC_FROM outcomes) isotonically when that fits better out of fold. An isotonic
    step function ties every pair of a step, which an assignment then cannot tell apart."""
    decisions = np.zeros(len(y))
    for train, test in folds:
        decisions[test] = fit_logistic(candidate.x[train], y[train], candidate.penalty).decision(
            candidate.x[test].astype(np.float64)
        )
    best: _OutOfFold | None = None
    for method in ("sigmoid", "isotonic") if len(y) >= ISOTONIC_FROM else ("sigmoid",):
        probabilities = np.zeros(len(y))
        for train, test in folds:
            probabilities[test] = calibrate(decisions[train], y[train], method)(decisions[test])
        if best is None or _log_loss(y, probabilities) < _log_loss(y, best.probabilities):
            best = _OutOfFold(decisions, probabilities, method)
    assert best is not None
    return best


def _final(candidate: _Candidate, y: np.ndarray, out_of_fold: _OutOfFold) -> SuccessModel:
    linear = fit_logistic(candidate.x, y, candidate.penalty)
    method = out_of_fold.method
    calibrator = calibrate(out_of_fold.decisions, y, method)
    thresholds = calibrator.thresholds
    return SuccessModel(
        weights=linear.weights,
        intercept=linear.intercept,
        source=f"learned ({method}-calibrated logistic regression)",
        isotonic_x=None if thresholds is None else thresholds[0],
        isotonic_y=None if thresholds is None else thresholds[1],
        sigmoid_ab=calibrator.ab,
        trained_on=len(y),
        columns=candidate.columns,
        reference=candidate.x.astype(np.float64).mean(axis=0),
        family=candidate.name,
    )


def _folds(y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    splits = max(2, min(CV_FOLDS, int(min(y.sum(), len(y) - y.sum()))))
    return list(StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def _penalty(columns: tuple[Column, ...]) -> np.ndarray:
    own = [c.knot is None and c.times is None and (c.signal is None or c.programme is None) for c in columns]
    return np.where(own, BASE_PENALTY, LEARNED_PENALTY)


def _candidate(name: str, columns: tuple[Column, ...], signals: np.ndarray, programmes: Sequence[str]) -> _Candidate:
    return _Candidate(name, columns, _design(columns, signals, programmes), _penalty(columns))


def _design(columns: tuple[Column, ...], signals: np.ndarray, programmes: Sequence[str]) -> np.ndarray:
    plan = ColumnPlan(columns)
    return plan.design(signals, plan.programme_index(programmes))


@one_thread
def train_success_model(
    signals: np.ndarray, y: np.ndarray, programmes: Sequence[str] = (), columns: tuple[Column, ...] = PLAIN_COLUMNS,
    seed: int = 0, name: str = PLAIN,
) -> SuccessModel:  # fmt: skip
    """Fit one candidate on past outcomes; raises NotEnoughHistory below MIN_HISTORY rows or with one class
    only. `signals`: per record, the pair's signals (`features.pair_signals`); `programmes`: its programme."""
    y = y.astype(int)
    _check(y)
    candidate = _candidate(name, columns, signals, programmes or [""] * len(y))
    return _final(candidate, y, _out_of_fold(candidate, y, _folds(y, seed)))


def _frequent(programmes: Sequence[str], least: int, most: int) -> list[str]:
    counts = Counter(programmes)
    frequent = [p for p, c in counts.items() if c >= least and len(PROGRAMME_PREFIX + p) <= MAX_NAME]
    return sorted(sorted(frequent, key=lambda p: (-counts[p], p))[:most])


def _groups(programmes: Sequence[str], effects: Sequence[str]) -> dict[str, tuple[Column, ...]]:
    """What may be learned beyond straight lines and separate effects, tried group by group, cheapest first."""
    slopes = _frequent(programmes, MIN_PER_SLOPE, model_basis.MAX_SLOPE_PROGRAMMES) if len(effects) > 1 else []
    return {
        MORE_FACTS: model_basis.more_facts_columns(),
        SLOPES: model_basis.slope_columns(slopes),
        HINGES: model_basis.hinge_columns(),
        PRODUCTS: model_basis.product_columns(),
    }


@one_thread
def choose_success_model(
    signals: np.ndarray, y: np.ndarray, programmes: Sequence[str], seed: int = 0, groups: bool = True
) -> tuple[SuccessModel, ModelChoice | None]:
    """The candidate with the lowest cross-validated log loss, refitted on every outcome: the pair features
    alone or with programme effects, then each group of `_groups` added in turn and kept where it lowers
    the loss (from MIN_FOR_INTERACTIONS outcomes). With fewer than MIN_PER_CLASS successes or failures
    there is nothing to cross-validate: the pair features alone, and no choice (None). `groups=False`:
    the pair features and programme effects only (what was learned before the groups, for comparisons)."""
    y = y.astype(int)
    _check(y)
    if min(int(y.sum()), len(y) - int(y.sum())) < MIN_PER_CLASS:
        return train_success_model(signals, y, programmes, seed=seed), None
    effects = _frequent(programmes, MIN_PER_PROGRAMME, MAX_PROGRAMMES)
    folds = _folds(y, seed)
    fitted: dict[str, _OutOfFold] = {}

    def tried(name: str, columns: tuple[Column, ...]) -> _Candidate:
        candidate = _candidate(name, columns, signals, programmes)
        fitted[name] = _out_of_fold(candidate, y, folds)
        return candidate

    def loss(candidate: _Candidate) -> float:
        return _log_loss(y, fitted[candidate.name].probabilities)

    best = tried(PLAIN, PLAIN_COLUMNS)
    if len(effects) > 1:
        best = min(best, tried(WITH_PROGRAMMES, model_basis.with_programmes(effects)), key=loss)
    if groups and len(y) >= MIN_FOR_INTERACTIONS:
        for group, columns in _groups(programmes, effects).items():
            if columns:
                best = min(best, tried(f"{best.name} + {group}", best.columns + columns), key=loss)
    out_of_fold = {name: f.probabilities for name, f in fitted.items()}
    yardstick = np.hstack([signals, _design(programme_effects(effects), signals, programmes)]) if effects else signals
    out_of_fold[TREES] = np.zeros(len(y))
    for train, test in folds:
        trees = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=seed)
        out_of_fold[TREES][test] = trees.fit(yardstick[train], y[train]).predict_proba(yardstick[test])[:, 1]
    losses = {name: round(_log_loss(y, p), 5) for name, p in out_of_fold.items()}
    model = _final(best, y, fitted[best.name])
    p = out_of_fold[best.name]
    choice = ModelChoice(losses, best.name, round(float(np.mean((p - y) ** 2)), 5), calibration_table(y, p))
    return model, choice
