"""Referrals' own record of a CIR signing, on its private log `referrals.signing.v1`.

The signing (with contact details) is the one piece of personal data in the system; referrals keeps it
in Redis for use and on this compacted, referrals-only topic as the record, so that a lost Redis is
rebuilt without asking OFII to send every signing again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from services.referrals.domain.signing import CirSigningCreate
from shared.events.envelope import EVENT_TYPE_PREFIX, Event

MAX_VERSIONS_KEPT = 20  # so that any record fits the consumers' size limit


class ProfileVersion(BaseModel):
    """One version of a newcomer's profile: who recorded it, when, and which fields changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1, le=10_000)
    at: datetime
    by: str = Field(max_length=100)
    changed: list[Annotated[str, Field(max_length=30)]] = Field(default_factory=list, max_length=20)
    note: str | None = Field(None, max_length=200)


class SigningRecorded(Event):
    """The signing as it stands (its latest version) and the list of its versions: a compacted topic
    keeps only the last record per newcomer, so each record carries the whole history."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "referrals.signing.v1"

    signing: CirSigningCreate
    history: list[ProfileVersion] = Field(
        default_factory=list, max_length=MAX_VERSIONS_KEPT, description="The latest versions, oldest first"
    )
