"""Learning the success model from past outcomes: a history file offline, outcome events online."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.matching.domain.engine import pair_signals_for
from services.matching.domain.model_choice import PLAIN, ModelChoice, NotEnoughHistory, choose_success_model
from services.matching.domain.success_model import SuccessModel, prior_model
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening, SuccessModelTrained

MonitoringName = Annotated[str, Field(min_length=1, max_length=40)]
MonitoringValue = Annotated[str, Field(max_length=80)]


class OutcomeRecord(BaseModel):
    """One line of a history file: `{"profile": {...}, "opening": {...}, "success": true|false}`, and
    optionally `"monitoring": {"column": "value"}`: groups to report rates across, never a feature."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: BeneficiaryProfile
    opening: ProgrammeOpening
    success: bool
    monitoring: dict[MonitoringName, MonitoringValue] = Field(default_factory=dict, max_length=10)


class BadRecord(ValueError):
    """A line of an input file that is not valid; the message names the file, line and field."""


def read_jsonl(path: Path, model: type[BaseModel]) -> Iterator[BaseModel]:
    """Validate each non-empty line of `path` against `model`; raise BadRecord naming line and field."""
    try:
        handle = path.open()
    except OSError as exc:
        raise BadRecord(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield model.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "record"
                if first["type"] == "json_invalid":
                    raise BadRecord(f"{path}:{number}: not valid JSON ({first['msg']})") from exc
                raise BadRecord(f"{path}:{number}: {where}: {first['msg']}") from exc


@dataclass(frozen=True)
class TrainingReport:
    model: SuccessModel
    records: int
    successes: int
    note: str
    log_loss: float | None = None  # on the training records; None for the prior
    brier: float | None = None
    choice: ModelChoice | None = None  # how it was chosen (cross-validated); None for the prior

    @property
    def learned(self) -> bool:
        return self.model.source != "prior"

    def artefact(self, version: int, outcomes: int, at: datetime) -> SuccessModelTrained:
        """The model as a versioned `matching.model.v1` artefact."""
        model = self.model
        return SuccessModelTrained(
            version=version,
            trained_at=at,
            trained_on=self.records,
            outcomes=outcomes,
            successes=self.successes,
            source=model.source,
            feature_names=list(model.feature_names),
            columns=model.described_columns(),
            family=model.family,
            reference=None if model.reference is None else [float(v) for v in model.reference],
            weights=[float(w) for w in model.weights],
            intercept=model.intercept,
            isotonic_x=None if model.isotonic_x is None else [float(v) for v in model.isotonic_x],
            isotonic_y=None if model.isotonic_y is None else [float(v) for v in model.isotonic_y],
            sigmoid_ab=model.sigmoid_ab,
            log_loss=self.log_loss,
            brier=self.brier,
        )


def learn_from(records: Sequence[OutcomeRecord], groups: bool = True) -> TrainingReport:
    """A calibrated model from the records, or the prior (and why) when they are too few. `groups=False`:
    no hinges, slopes or products (`choose_success_model`)."""
    successes = sum(r.success for r in records)
    if not records:
        return TrainingReport(prior_model(), 0, 0, "no history: prior weights")
    signals = pair_signals_for([r.profile for r in records], [r.opening for r in records])
    y = np.array([r.success for r in records], dtype=int)
    programmes = [r.opening.programme for r in records]
    try:
        model, choice = choose_success_model(signals, y, programmes, groups=groups)
    except NotEnoughHistory as exc:
        return TrainingReport(prior_model(), len(records), successes, f"{exc}; prior weights kept")
    columns = model.plan.design(signals, model.plan.programme_index(programmes))
    p = np.clip(model.predict(columns).astype(np.float64), 1e-6, 1 - 1e-6)
    log_loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    brier = float(np.mean((p - y) ** 2))
    note = f"{model.source}, {choice.chosen}" if choice is not None and choice.chosen != PLAIN else model.source
    return TrainingReport(model, len(records), successes, note, round(log_loss, 6), round(brier, 6), choice)
