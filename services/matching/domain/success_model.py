"""The probability that a newcomer succeeds (employed or in training at 3 months) in an opening.

A logistic model over the pair features, calibrated (isotonic with enough history, sigmoid otherwise),
learned from past outcomes; before any history, a prior with hand-set weights. Either way the model is
kept as plain arrays, so scoring one profile against 2,000 openings costs a few numpy operations.

Which model is learned is chosen by cross-validated log loss on the history (`choose_success_model`):
the pair features alone, or with an effect per programme ("programme:<name>" columns, for programmes
with enough outcomes), against gradient-boosted trees as a yardstick of what a model that finds every
interaction by itself would reach (reported, never shipped: it is not plain arrays)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from services.matching.domain.features import FEATURES
from shared.events import SuccessModelTrained

MIN_HISTORY = 50
# Isotonic calibration overfits small histories: on synthetic worlds of 1,600-3,300 outcomes its
# cross-validated log loss was 0.61-0.64 against 0.59-0.61 with sigmoid calibration (measured, README).
ISOTONIC_FROM = 5000
PROGRAMME_PREFIX = "programme:"
MIN_PER_PROGRAMME = 30  # outcomes a programme needs before it gets an effect of its own
MAX_PROGRAMMES = 40
CV_FOLDS = 3
# Each cross-validation fold calibrates on folds of its own: below this many of either class, no choice.
MIN_PER_CLASS = 4 * CV_FOLDS
MAX_NAME = 64  # a feature name on matching.model.v1
PLAIN, WITH_PROGRAMMES, TREES = "logistic", "logistic + programme effects", "gradient-boosted trees (yardstick)"

# Before any outcome is known: the fit matters, French helps, moving far and unmet housing hurt.
PRIOR_WEIGHTS = {
    "occupation_similarity": 1.6,
    "general_programme": 0.4,
    "french_margin": 0.8,
    "french_level": 0.6,
    "same_department": 0.4,
    "same_region": 0.3,
    "relocation": -0.3,
    "housing_met": 0.4,
    "housing_unmet": -0.6,
    "diploma_level": 0.3,
}
PRIOR_INTERCEPT = -0.9


class NotEnoughHistory(ValueError):
    pass


@dataclass(frozen=True)
class SuccessModel:
    """p = calibrate(sigmoid(x · weights + intercept)); `source` says whether it was learned."""

    weights: np.ndarray
    intercept: float
    source: str
    isotonic_x: np.ndarray | None = None
    isotonic_y: np.ndarray | None = None
    sigmoid_ab: tuple[float, float] | None = None
    trained_on: int = 0
    feature_names: tuple[str, ...] = field(default=FEATURES)
    version: int = 0  # 0: this instance's own (the prior, or learned from its start-up history)

    def decision(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights.astype(x.dtype) + np.float32(self.intercept)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Success probability for feature rows `x` (any leading shape, last axis the features)."""
        d = self.decision(x)
        if self.isotonic_x is not None and self.isotonic_y is not None:
            return np.interp(d, self.isotonic_x, self.isotonic_y).astype(np.float32)
        if self.sigmoid_ab is not None:
            a, b = self.sigmoid_ab
            return (1.0 / (1.0 + np.exp(a * d + b))).astype(np.float32)
        return (1.0 / (1.0 + np.exp(-d))).astype(np.float32)

    @property
    def programmes(self) -> tuple[str, ...]:
        """Programmes with an effect of their own: their columns follow the pair features in `x`."""
        return tuple(n.removeprefix(PROGRAMME_PREFIX) for n in self.feature_names if n.startswith(PROGRAMME_PREFIX))

    def contributions(self, x_row: np.ndarray) -> dict[str, float]:
        return {name: float(w * v) for name, w, v in zip(self.feature_names, self.weights, x_row, strict=True)}

    @classmethod
    def from_event(cls, event: SuccessModelTrained) -> SuccessModel:
        """The model a `matching.model.v1` artefact carries."""
        return cls(
            weights=np.array(event.weights, dtype=np.float64),
            intercept=event.intercept,
            source=event.source,
            isotonic_x=None if event.isotonic_x is None else np.array(event.isotonic_x),
            isotonic_y=None if event.isotonic_y is None else np.array(event.isotonic_y),
            sigmoid_ab=event.sigmoid_ab,
            trained_on=event.trained_on,
            feature_names=tuple(event.feature_names),
            version=event.version,
        )


def prior_model() -> SuccessModel:
    weights = np.array([PRIOR_WEIGHTS[name] for name in FEATURES], dtype=np.float64)
    return SuccessModel(weights=weights, intercept=PRIOR_INTERCEPT, source="prior")


def programme_columns(programmes: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """One column per name in `names`: 1 where the row's programme is that one."""
    position = {name: k for k, name in enumerate(names)}
    columns = np.zeros((len(programmes), len(names)), dtype=np.float32)
    for row, programme in enumerate(programmes):
        if programme in position:
            columns[row, position[programme]] = 1.0
    return columns


def with_programme_columns(x: np.ndarray, programmes: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Pair features `x` followed by the columns of the programmes in `names` (none: `x` itself)."""
    return np.hstack([x, programme_columns(programmes, names)]) if len(names) else x


def _check(y: np.ndarray) -> None:
    if len(y) < MIN_HISTORY or min(int(y.sum()), len(y) - int(y.sum())) < 2:
        raise NotEnoughHistory(
            f"{len(y)} issues ({int(y.sum())} réussites) : il en faut {MIN_HISTORY}, dont 2 de chaque sorte / "
            f"{len(y)} outcomes: need {MIN_HISTORY}, with 2 of each kind at least"
        )


def _calibrated(y: np.ndarray) -> CalibratedClassifierCV:
    method = "isotonic" if len(y) >= ISOTONIC_FROM else "sigmoid"
    folds = min(3, int(min(y.sum(), len(y) - y.sum())))
    return CalibratedClassifierCV(
        LogisticRegression(C=1.0, max_iter=1000), method=method, cv=max(folds, 2), ensemble=False
    )


def train_success_model(x: np.ndarray, y: np.ndarray, feature_names: Sequence[str] = FEATURES) -> SuccessModel:
    """Fit on past outcomes; raises NotEnoughHistory below MIN_HISTORY rows or with one class only."""
    y = y.astype(int)
    _check(y)
    calibrated = _calibrated(y)
    method = calibrated.method
    calibrated.fit(x, y)
    fitted = calibrated.calibrated_classifiers_[0]
    base = fitted.estimator
    calibrator = fitted.calibrators[0]
    common = {
        "weights": base.coef_[0].astype(np.float64),
        "intercept": float(base.intercept_[0]),
        "source": f"learned ({method}-calibrated logistic regression)",
        "trained_on": len(y),
        "feature_names": tuple(feature_names),
    }
    if method == "isotonic":
        return SuccessModel(**common, isotonic_x=calibrator.X_thresholds_, isotonic_y=calibrator.y_thresholds_)
    return SuccessModel(**common, sigmoid_ab=(float(calibrator.a_), float(calibrator.b_)))


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


def choose_success_model(
    x: np.ndarray, y: np.ndarray, programmes: Sequence[str], seed: int = 0
) -> tuple[SuccessModel, ModelChoice | None]:
    """The candidate with the lowest cross-validated log loss, refitted on every outcome. `programmes`:
    each row's programme; when at least two programmes have MIN_PER_PROGRAMME outcomes, each of those
    may get an effect of its own. With fewer than MIN_PER_CLASS successes or failures there is nothing
    to cross-validate: the pair features alone, and no choice (None)."""
    y = y.astype(int)
    _check(y)
    if min(int(y.sum()), len(y) - int(y.sum())) < MIN_PER_CLASS:
        return train_success_model(x, y), None
    counts = Counter(programmes)
    frequent = [p for p, c in counts.items() if c >= MIN_PER_PROGRAMME and len(PROGRAMME_PREFIX + p) <= MAX_NAME]
    frequent = sorted(sorted(frequent, key=lambda p: -counts[p])[:MAX_PROGRAMMES])
    with_programmes = with_programme_columns(x, programmes, frequent)
    candidates = {PLAIN: x}
    if len(frequent) > 1:
        candidates[WITH_PROGRAMMES] = with_programmes
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    out_of_fold = {name: np.zeros(len(y)) for name in [*candidates, TREES]}
    for train, test in folds.split(x, y):
        for name, columns in candidates.items():
            model = _calibrated(y[train]).fit(columns[train], y[train])
            out_of_fold[name][test] = model.predict_proba(columns[test])[:, 1]
        trees = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=seed)
        trees.fit(with_programmes[train], y[train])
        out_of_fold[TREES][test] = trees.predict_proba(with_programmes[test])[:, 1]
    losses = {name: round(_log_loss(y, p), 5) for name, p in out_of_fold.items()}
    chosen = min(candidates, key=lambda name: losses[name])
    names = FEATURES if chosen == PLAIN else (*FEATURES, *(PROGRAMME_PREFIX + p for p in frequent))
    model = train_success_model(candidates[chosen], y, names)
    p = out_of_fold[chosen]
    choice = ModelChoice(losses, chosen, round(float(np.mean((p - y) ** 2)), 5), calibration_table(y, p))
    return model, choice
