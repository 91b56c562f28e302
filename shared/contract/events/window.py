"""`referral.window.v1`: a decision window closed; the referrals still only proposed in it are to be
re-solved together by matching, then sent to their partners."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.events.bounded import Identifier
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.profile import BeneficiaryId

WINDOW_NAMESPACE = uuid.UUID("9d2f6a41-7c3b-4e8d-b5a0-2e1f4c6d8a93")
MAX_WINDOW_MEMBERS = 2_000  # matching's reach among a window's latest arrivals
MAX_WINDOW_PART = 1_000  # members per event (under 256 KiB whatever the ids): a window closes in parts


class WindowMember(BaseModel):
    """A referral held provisionally in the window: who, and the opening whose seat they hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    referral_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$", max_length=40)
    beneficiary_id: BeneficiaryId
    opening_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,80}$", max_length=81)


class DecisionWindowClosed(Event):
    """Written by referrals when a window's time is up (or a referral's deadline would pass)."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "referral.window.v1"

    window_id: Identifier = Field(description="The window's closing time, e.g. 2026-12-03T16:00+01:00")
    closed_at: datetime
    members: list[WindowMember] = Field(min_length=1, max_length=MAX_WINDOW_PART)

    def content_id(self) -> str:
        """The window by its content: the same window over the same referrals, however often the sweep
        finds it or a consumer receives it (its event id, and the key of matching's decision)."""
        referrals = ",".join(sorted(m.referral_id for m in self.members))
        return str(uuid.uuid5(WINDOW_NAMESPACE, f"{self.window_id}:{referrals}"))


class WindowDecision(BaseModel):
    """On a proposal: it is matching's final word on a referral of a closed window (send it, or move it),
    or on a newcomer of the window who had no seat and gets one at the close (no referral yet: both null)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_id: Identifier
    referral_id: Identifier | None = Field(None, description="The provisional referral this decides on")
    previous_opening_id: Identifier | None = Field(
        None, description="The opening held provisionally until the window closed"
    )
