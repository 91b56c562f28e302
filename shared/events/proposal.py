"""`matching.proposal.v1`: ranked, explained openings for one beneficiary, with a held seat."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import EVENT_TYPE_PREFIX, Event


class RankedOpening(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    opening_id: str
    partner_id: str
    programme: str
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[str] = Field(description="Why this opening fits, in plain words")


class HeldSeat(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    opening_id: str
    expires_at: datetime


class MatchingProposal(Event):
    """The matcher's answer to one profile: the eligible openings, best first."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "matching.proposal.v1"

    proposal_id: str = Field(description="Stable for a given profile event: re-sent proposals share it")
    beneficiary_id: str
    profile_event_id: str
    ruleset_version: str
    decided_at: datetime
    ranked: list[RankedOpening] = Field(default_factory=list)
    held: HeldSeat | None = Field(None, description="The seat held for the top opening that had one")
