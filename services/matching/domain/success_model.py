"""The probability that a newcomer succeeds (employed or in training at 3 months) in an opening.

A logistic model over the pair features, calibrated (isotonic with enough history, sigmoid otherwise),
learned from past outcomes; before any history, a prior with hand-set weights. Either way the model is
kept as plain arrays, so scoring one profile against 2,000 openings costs a few numpy operations."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from services.matching.domain.features import FEATURES
from shared.events import SuccessModelTrained

MIN_HISTORY = 50
ISOTONIC_FROM = 1000

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


def train_success_model(x: np.ndarray, y: np.ndarray) -> SuccessModel:
    """Fit on past outcomes; raises NotEnoughHistory below MIN_HISTORY rows or with one class only."""
    y = y.astype(int)
    if len(y) < MIN_HISTORY or len(set(y.tolist())) < 2:
        raise NotEnoughHistory(f"{len(y)} outcomes ({int(y.sum())} successes): need {MIN_HISTORY} with both kinds")
    method = "isotonic" if len(y) >= ISOTONIC_FROM else "sigmoid"
    folds = min(3, int(min(y.sum(), len(y) - y.sum())))
    calibrated = CalibratedClassifierCV(
        LogisticRegression(C=1.0, max_iter=1000), method=method, cv=max(folds, 2), ensemble=False
    )
    calibrated.fit(x, y)
    fitted = calibrated.calibrated_classifiers_[0]
    base = fitted.estimator
    calibrator = fitted.calibrators[0]
    common = {
        "weights": base.coef_[0].astype(np.float64),
        "intercept": float(base.intercept_[0]),
        "source": f"learned ({method}-calibrated logistic regression)",
        "trained_on": len(y),
    }
    if method == "isotonic":
        return SuccessModel(**common, isotonic_x=calibrator.X_thresholds_, isotonic_y=calibrator.y_thresholds_)
    return SuccessModel(**common, sigmoid_ab=(float(calibrator.a_), float(calibrator.b_)))
