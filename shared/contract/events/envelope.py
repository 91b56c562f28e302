"""The base of every event model: frozen, strict about unknown fields, typed by `ce_type`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

EVENT_TYPE_PREFIX = "fr.passerelle."


class Event(BaseModel):
    """An event body; `EVENT_TYPE` is its CloudEvents `type` (the version is part of it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    EVENT_TYPE: ClassVar[str]
