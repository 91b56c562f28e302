"""`programme.opening.v1`: one cohort of a programme, with its seats and eligibility rules."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.events.profile import Department, RomeCode, Skill
from shared.vocabulary import FrenchLevel, Mobility, ProtectionStatus


class Eligibility(BaseModel):
    """Declarative eligibility rules; every key is optional and absent means 'no rule'."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_age: int | None = Field(None, ge=0, le=120, description="Minimum age at the start date")
    max_age: int | None = Field(None, ge=0, le=120, description="Maximum age at the start date")
    min_french: FrenchLevel | None = Field(None, description="Minimum CEFR level")
    max_french: FrenchLevel | None = Field(
        None, description="Highest CEFR level admitted (French courses are for those it still blocks)"
    )
    max_diploma_level: int | None = Field(None, ge=0, le=8, description="Highest EQF level admitted")
    departments: list[Department] | None = Field(None, description="Départements served")
    area: list[Department] | None = Field(
        None,
        description="Départements the programme recruits from; people living elsewhere qualify "
        "only if willing to move nationally",
    )
    protection_statuses: list[ProtectionStatus] | None = None
    rsa_applicant_required: bool = False
    mobility_required: Mobility | None = Field(None, description="Minimum willingness to move ('region' or 'national')")
    return_countries: list[str] | None = Field(
        None, description="Return programmes: the countries of return they serve (ISO 3166 alpha-2)"
    )


class ProgrammeOpening(Event):
    """A cohort of a partner's programme: where, when, how many seats, for whom."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "programme.opening.v1"

    opening_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,80}$", examples=["epide-strasbourg-2027-01"])
    programme: str = Field(min_length=2, max_length=80, examples=["Epide"])
    partner_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", examples=["epide"])
    partner_name: str = Field("", max_length=120, examples=["Epide"])
    title: str = Field("", max_length=200)
    department: Department
    starts_on: date
    seats: int = Field(ge=0, le=100_000)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    target_occupations: list[RomeCode] = Field(default_factory=list)
    target_skills: list[Skill] = Field(default_factory=list)
    offers_housing: bool = False
    response_days: int = Field(7, ge=1, le=90, description="Days the partner has to answer a referral")
