"""The probability that a newcomer succeeds (employed or in training at 3 months) in an opening.

A calibrated logistic model over the columns it carries (`model_columns.py`: the pair features, and what
it learned beyond them — programme effects, hinges, interactions), learned from past outcomes; before any
history, a prior with hand-set weights on the pair features. Either way the model is plain arrays, so
scoring one profile against 2,000 openings costs a few numpy operations. How a model is learned and
chosen is `model_choice.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from services.matching.domain.features import FEATURES
from services.matching.domain.model_columns import PLAIN_COLUMNS, Column, ColumnPlan, columns_from_names
from shared.contract.events import SuccessModelTrained
from shared.contract.events.model import ModelColumn

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


@dataclass(frozen=True)
class SuccessModel:
    """p = calibrate(sigmoid(x · weights + intercept)) over `columns`; `source` says whether it was learned.
    `reference`: each column's mean on the records learned from, what a reason's contribution is measured
    from (none: from zero, as the prior's)."""

    weights: np.ndarray
    intercept: float
    source: str
    isotonic_x: np.ndarray | None = None
    isotonic_y: np.ndarray | None = None
    sigmoid_ab: tuple[float, float] | None = None
    trained_on: int = 0
    columns: tuple[Column, ...] = field(default=PLAIN_COLUMNS)
    version: int = 0  # 0: this instance's own (the prior, or learned from its start-up history)
    reference: np.ndarray | None = None
    family: str = "prior"  # which candidate it is (model_choice: PLAIN, WITH_PROGRAMMES, ...)

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.columns):
            raise ValueError(
                f"{len(self.weights)} poids pour {len(self.columns)} colonnes / "
                f"{len(self.weights)} weights for {len(self.columns)} columns"
            )
        if self.reference is not None and len(self.reference) != len(self.columns):
            raise ValueError("une référence par colonne / one reference value per column")

    @cached_property
    def plan(self) -> ColumnPlan:
        return ColumnPlan(self.columns)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def programmes(self) -> tuple[str, ...]:
        """Programmes with columns of their own (an effect, a slope)."""
        return self.plan.programmes

    def decision(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights.astype(x.dtype) + x.dtype.type(self.intercept)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Success probability for design rows `x` (any leading shape, last axis the columns)."""
        d = self.decision(x)
        if self.isotonic_x is not None and self.isotonic_y is not None:
            return np.interp(d, self.isotonic_x, self.isotonic_y).astype(np.float32)
        if self.sigmoid_ab is not None:
            a, b = self.sigmoid_ab
            return (1.0 / (1.0 + np.exp(a * d + b))).astype(np.float32)
        return (1.0 / (1.0 + np.exp(-d))).astype(np.float32)

    def contributions(self, x_row: np.ndarray) -> np.ndarray:
        """Per column, what it adds to the decision against the reference."""
        reference = 0.0 if self.reference is None else self.reference
        return self.weights * (x_row.astype(np.float64) - reference)

    @classmethod
    def from_event(cls, event: SuccessModelTrained) -> SuccessModel:
        """The model a `matching.model.v1` artefact carries (raises ValueError when it cannot be read)."""
        if event.columns is not None:
            columns = tuple(Column(c.signal, c.knot, c.times, c.programme) for c in event.columns)
        else:
            columns = columns_from_names(event.feature_names)
        model = cls(
            weights=np.array(event.weights, dtype=np.float64),
            intercept=event.intercept,
            source=event.source,
            isotonic_x=None if event.isotonic_x is None else np.array(event.isotonic_x),
            isotonic_y=None if event.isotonic_y is None else np.array(event.isotonic_y),
            sigmoid_ab=event.sigmoid_ab,
            trained_on=event.trained_on,
            columns=columns,
            version=event.version,
            reference=None if event.reference is None else np.array(event.reference, dtype=np.float64),
            family=event.family or "",
        )
        model.plan  # noqa: B018 (compiled now: a column this matcher cannot compute fails here)
        return model

    def described_columns(self) -> list[ModelColumn]:
        return [ModelColumn(signal=c.signal, knot=c.knot, times=c.times, programme=c.programme) for c in self.columns]


def prior_model() -> SuccessModel:
    weights = np.array([PRIOR_WEIGHTS[name] for name in FEATURES], dtype=np.float64)
    return SuccessModel(weights=weights, intercept=PRIOR_INTERCEPT, source="prior")
