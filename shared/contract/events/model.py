"""`matching.model.v1`: a trained success model, published as a versioned artefact (compacted: the
latest version is what every matching instance, and every restart, scores with).

The artefact says which columns the model has and how each is computed (`columns`), from a fixed
vocabulary of pair signals (`SIGNALS`); an artefact of an earlier kind names them only
(`feature_names`: pair features and `programme:<name>` effects)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event

MAX_FEATURES = 192
MAX_THRESHOLDS = 1024
Feature = Annotated[str, Field(max_length=64)]
# What a column can be computed from: the pair features first (every model has them), then facts of one
# side that only enter a model together with the other side's.
Signal = Literal[
    "occupation_similarity",
    "general_programme",
    "french_margin",
    "french_level",
    "same_department",
    "same_region",
    "relocation",
    "housing_met",
    "housing_unmet",
    "diploma_level",
    "needs_housing",
    "offers_housing",
    "mobility_region",
    "mobility_national",
    "min_french",
    "experienced",
    "occupation_exact",
]
SIGNALS: tuple[str, ...] = get_args(Signal)


class ModelColumn(BaseModel):
    """One column: shape(signal) x times x [programme]; shape is max(0, signal - knot) with a knot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    signal: Signal | None = Field(None, description="None: the constant 1 (a programme's own effect)")
    knot: float | None = Field(None, description="A hinge: max(0, signal - knot)")
    times: Signal | None = Field(None, description="Multiplied by this second signal (an interaction)")
    programme: str | None = Field(None, max_length=54, description="Only for openings of this programme")


class SuccessModelTrained(Event):
    """The weights of a calibrated logistic model over its columns, what it was trained on, and how well
    it fits."""

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
    columns: list[ModelColumn] | None = Field(
        None, max_length=MAX_FEATURES, description="How each column is computed, in the order of the weights"
    )
    reference: list[float] | None = Field(
        None, max_length=MAX_FEATURES, description="Each column's mean on the records learned from"
    )
    family: str | None = Field(None, max_length=120, description="Which candidate model the training chose")

    @model_validator(mode="after")
    def _one_weight_per_column(self) -> SuccessModelTrained:
        lengths = {len(self.feature_names), len(self.weights)}
        lengths |= {len(self.columns)} if self.columns is not None else set()
        lengths |= {len(self.reference)} if self.reference is not None else set()
        if len(lengths) > 1:
            raise ValueError("feature_names, weights, columns and reference must have one entry per column")
        if (self.isotonic_x is None) != (self.isotonic_y is None) or (
            self.isotonic_x is not None and self.isotonic_y is not None and len(self.isotonic_x) != len(self.isotonic_y)
        ):
            raise ValueError("isotonic_x and isotonic_y go together, of the same length")
        return self
