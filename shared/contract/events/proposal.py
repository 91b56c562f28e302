"""`matching.proposal.v1`: ranked, explained openings for one beneficiary, with a held seat."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.events.bounded import (
    MAX_NOT_ELIGIBLE,
    MAX_RANKED,
    MAX_REASONS,
    MAX_REMEDIES,
    Identifier,
    MatcherReason,
    ProgrammeName,
    WhyNotReason,
)
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.window import WindowDecision

# A ranked opening's reason that starts so is the success estimate: for the auditor's eyes (who reads it in
# words), never passed on to a partner or printed on the person's sheet.
SUCCESS_ESTIMATE = "réussite estimée à "


class RankedOpening(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    opening_id: Identifier
    partner_id: Identifier
    programme: ProgrammeName
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[MatcherReason] = Field(max_length=MAX_REASONS, description="Why this opening fits, in plain words")


class HeldSeat(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    opening_id: Identifier
    expires_at: datetime


class NotEligible(BaseModel):
    """A programme the newcomer cannot be proposed, judged on its closest opening: what failed, and what
    would lift it ("éligible dès que le niveau A2 est certifié")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    programme: ProgrammeName
    opening_id: Identifier
    partner_id: Identifier
    failures: list[WhyNotReason] = Field(max_length=3)
    remedies: list[WhyNotReason] = Field(
        default_factory=list,
        max_length=MAX_REMEDIES,
        description="What would lift every rule that failed, all of them; empty when one cannot be lifted",
    )


class MatchingProposal(Event):
    """The matcher's answer to one profile: the eligible openings, best first."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "matching.proposal.v1"

    proposal_id: Identifier = Field(description="Stable for a given profile event: re-sent proposals share it")
    beneficiary_id: Identifier
    profile_event_id: Identifier
    ruleset_version: Identifier
    decided_at: datetime
    ranked: list[RankedOpening] = Field(default_factory=list, max_length=MAX_RANKED)
    held: HeldSeat | None = Field(None, description="The seat held for the top opening that had one")
    profile_version: int = Field(1, ge=1, le=10_000, description="The profile version this answers")
    not_eligible: list[NotEligible] = Field(
        default_factory=list, max_length=MAX_NOT_ELIGIBLE, description="Programmes ruled out, with the rule and remedy"
    )
    window: WindowDecision | None = Field(
        None, description="Set when this closes a decision window: the referral is sent (or moved, then sent)"
    )
    waiting_since: datetime | None = Field(
        None,
        description="Set when a seat was wanted and none could be held: the newcomer waits in matching's pool "
        "since then, and is proposed the first opening that fits when one is published or a seat is released",
    )
    model_version: int = Field(
        0, ge=0, le=1_000_000, description="Version of the success model the scores come from (0: the prior)"
    )
