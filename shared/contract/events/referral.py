"""`referral.event.v1`: every change in a referral's lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from shared.contract.events.bounded import MAX_REASONS, Identifier, ProgrammeName, Reason
from shared.contract.events.candidate import CandidateSummary
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralEventKind, ReferralStatus


class ReferralEvent(Event):
    """A referral entered `status`; carries the minimised candidate, never personal data."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "referral.event.v1"

    referral_id: Identifier
    beneficiary_id: Identifier
    opening_id: Identifier
    partner_id: Identifier
    programme: ProgrammeName
    status: ReferralStatus
    previous_status: ReferralStatus | None = None
    occurred_at: datetime
    score: float | None = None
    reasons: list[Reason] = Field(default_factory=list, max_length=MAX_REASONS)
    candidate: CandidateSummary
    sequence: int = Field(1, ge=1, description="Position in the referral's history: 1 is its creation")
    kind: ReferralEventKind = ReferralEventKind.STATUS
    actor: str = Field("system", max_length=100, description="partner:<id>, auditor, newcomer or system")
    decline_reason: DeclineReason | None = None
    note: str | None = Field(None, max_length=600, description="Free text: the 'other' reason, an override's why")
    outcome: OutcomeAtThreeMonths | None = None
    respond_by: datetime | None = Field(None, description="The partner's answer is due by then")
    send_by: datetime | None = Field(
        None, description="A proposed referral is sent to its partner when its decision window closes, then"
    )
