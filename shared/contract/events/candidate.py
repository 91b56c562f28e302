"""The minimised candidate a partner may see: pseudonymous, banded, no contact."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.events.bounded import Identifier, ProgrammeName
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.profile import Department, RomeCode, Skill
from shared.contract.vocabulary import FrenchLevel, Mobility


class CandidateSummary(BaseModel):
    """Only what a partner needs to judge a fit; no name, contact, birth date or nationality."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age_band: str = Field(max_length=10, examples=["18-25"])
    french_level: FrenchLevel | None
    diploma_level: int | None = Field(ge=0, le=8)
    occupations: list[RomeCode] = Field(max_length=20)
    skills: list[Skill] = Field(max_length=50)
    department: Department
    mobility: Mobility | None
    needs_housing: bool | None
    consented: bool = Field(False, description="The newcomer agreed to be shown in partners' pools")
    orient_by: date | None = Field(
        None,
        description="Legal deadline that runs from the RSA application: orientation within 6 weeks, or for an "
        "RSA-only opening (SPIE) a first appointment within 30 days; null when no delay runs",
    )


class PartnerCandidateEntry(Event):
    """One entry of a partner's candidate pool, on `partner.<partner_id>.candidates.v1`."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "partner.candidates.v1"

    referral_id: Identifier = Field(description="Pseudonymous handle the partner answers with")
    opening_id: Identifier
    programme: ProgrammeName
    proposed_at: datetime
    score: float | None = Field(description="The matcher's score, as the referral shows it; null when referred by hand")
    respond_by: datetime | None = Field(None, description="The partner's answer is due by then")
    candidate: CandidateSummary
    entry_kind: Literal["referral", "pool"] = Field(
        "referral", description="referral: proposed to this partner; pool: matched one of its subscriptions"
    )
