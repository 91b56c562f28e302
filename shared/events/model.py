"""`matching.model.v1`: a trained success model, published as a versioned artefact (compacted: the
latest version is what every matching instance, and every restart, scores with)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field

from shared.events.envelope import EVENT_TYPE_PREFIX, Event

MAX_FEATURES = 64
MAX_THRESHOLDS = 8192
Feature = Annotated[str, Field(max_length=64)]


class SuccessModelTrained(Event):
    """The weights of a calibrated logistic model, what it was trained on, and how well it fits."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "matching.model.v1"

    version: int = Field(ge=1, description="Training round: the number of outcomes seen, divided by 25")
    trained_at: datetime
    trained_on: int = Field(ge=0, description="Records learned from: start-up history and outcomes")
    outcomes: int = Field(ge=0, description="Outcomes reported by partners among them")
    successes: int = Field(ge=0)
    source: str = Field(max_length=120)
    feature_names: list[Feature] = Field(max_length=MAX_FEATURES)
    weights: list[float] = Field(max_length=MAX_FEATURES)
    intercept: float
    isotonic_x: list[float] | None = Field(None, max_length=MAX_THRESHOLDS)
    isotonic_y: list[float] | None = Field(None, max_length=MAX_THRESHOLDS)
    sigmoid_ab: tuple[float, float] | None = None
    log_loss: float | None = Field(None, ge=0, description="On the training records")
    brier: float | None = Field(None, ge=0, le=1, description="On the training records")
