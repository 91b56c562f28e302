"""Learning the success model from past outcomes: a history file offline, outcome events online."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from services.matching.domain.success_model import NotEnoughHistory, SuccessModel, prior_model, train_success_model
from services.matching.service_layer.engine import pair_features_for
from shared.events import BeneficiaryProfile, ProgrammeOpening


class OutcomeRecord(BaseModel):
    """One line of a history file: `{"profile": {...}, "opening": {...}, "success": true|false}`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: BeneficiaryProfile
    opening: ProgrammeOpening
    success: bool


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


def learn_from(records: Sequence[OutcomeRecord]) -> TrainingReport:
    """A calibrated model from the records, or the prior (and why) when they are too few."""
    successes = sum(r.success for r in records)
    if not records:
        return TrainingReport(prior_model(), 0, 0, "no history: prior weights")
    x = pair_features_for([r.profile for r in records], [r.opening for r in records])
    y = np.array([r.success for r in records], dtype=int)
    try:
        model = train_success_model(x, y)
    except NotEnoughHistory as exc:
        return TrainingReport(prior_model(), len(records), successes, f"{exc}; prior weights kept")
    return TrainingReport(model, len(records), successes, model.source)


def load_model(path: Path) -> SuccessModel:
    data = json.loads(path.read_text())
    return SuccessModel(
        weights=np.array(data["weights"]),
        intercept=data["intercept"],
        source=data["source"],
        isotonic_x=None if data["isotonic_x"] is None else np.array(data["isotonic_x"]),
        isotonic_y=None if data["isotonic_y"] is None else np.array(data["isotonic_y"]),
        sigmoid_ab=None if data["sigmoid_ab"] is None else tuple(data["sigmoid_ab"]),
        trained_on=data["trained_on"],
        feature_names=tuple(data["feature_names"]),
    )
