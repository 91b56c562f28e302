"""Trained success models as files: what `passerelle train` writes, what `assign` and `match` read with
`--model`, and the cache that spares `assign --history` a training when the history has not changed.

A model file is the `matching.model.v1` artefact (JSON), the same thing matching adopts from the topic,
and it is checked on every path before use (`model_check.py`). The cache is keyed by the SHA-256 of the
history file's bytes and the trainer's version: choosing a model is done when it is trained, not at
every run."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from passerelle.usage import UsageError
from services.matching.domain.model_choice import ModelChoice
from services.matching.service_layer.history import BadRecord, OutcomeRecord, TrainingReport, learn_from, read_jsonl
from services.matching.service_layer.model_check import UnusableModel, adoptable
from shared.contract.events import SuccessModelTrained

# Bumped whenever training would learn another model from the same history: older cache entries are then
# never read.
TRAINER_VERSION = "2026-12-07"


def cache_directory() -> Path:
    """$PASSERELLE_CACHE_DIR, else $XDG_CACHE_HOME/passerelle/models, else ~/.cache/passerelle/models."""
    if explicit := os.environ.get("PASSERELLE_CACHE_DIR"):
        return Path(explicit)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "passerelle" / "models"


def history_key(history: Path) -> str:
    digest = hashlib.sha256(TRAINER_VERSION.encode() + b"\0")
    try:
        with history.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise UsageError(f"cannot read {history}: {exc.strerror}") from exc
    return digest.hexdigest()


def train(history: Path) -> TrainingReport:
    try:
        records: list[OutcomeRecord] = list(read_jsonl(history, OutcomeRecord))  # type: ignore[arg-type]
    except BadRecord as exc:
        raise UsageError(str(exc)) from exc
    return learn_from(records)


def usable(report: TrainingReport, history: Path) -> SuccessModelTrained:
    """The learned model as an artefact, checked on every path; UsageError (exit 2) when it fails."""
    artefact = report.artefact(version=1, outcomes=0, at=datetime.now(UTC))
    try:
        adoptable(artefact)
    except UnusableModel as exc:
        raise UsageError(f"{history}: modèle appris inutilisable / the learned model is unusable: {exc}") from exc
    return artefact


def read_model(path: Path) -> SuccessModelTrained:
    """A model file, checked on every path; UsageError (exit 2) naming the problem otherwise."""
    try:
        artefact = SuccessModelTrained.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "model"
        raise UsageError(f"{path}: not a success model ({where}: {first['msg']})") from exc
    try:
        adoptable(artefact)
    except UnusableModel as exc:
        raise UsageError(f"{path}: modèle inutilisable / unusable model: {exc}") from exc
    return artefact


def trained_for(history: Path) -> tuple[SuccessModelTrained, str, ModelChoice | None, bool]:
    """The model learned from `history`: from the cache when the same history was learned from before.
    Returns the artefact, its note, how it was chosen, and whether it came from the cache."""
    entry = cache_directory() / f"{history_key(history)}.json"
    if entry.exists():
        try:
            kept = json.loads(entry.read_text())
            artefact = SuccessModelTrained.model_validate(kept["artefact"])
            choice = ModelChoice(**kept["choice"]) if kept["choice"] else None
            return artefact, kept["note"], choice, True  # checked on every path before it was kept
        except (OSError, ValueError, KeyError, TypeError):
            entry.unlink(missing_ok=True)  # damaged or from another trainer: learned again below
    report = train(history)
    artefact = usable(report, history)
    entry.parent.mkdir(parents=True, exist_ok=True)
    written = entry.with_suffix(".part")
    how = asdict(report.choice) if report.choice else None
    written.write_text(json.dumps({"artefact": artefact.model_dump(mode="json"), "note": report.note, "choice": how}))
    written.replace(entry)  # whole or not at all, even with two runs side by side
    return artefact, report.note, report.choice, False
