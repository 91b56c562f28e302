"""`programme.opening.v1`: one cohort of a programme, with its seats and eligibility rules."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contract.events.bounded import MAX_DEPARTMENTS
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.profile import Department, RomeCode, Skill
from shared.contract.human_text import schema_pattern
from shared.contract.vocabulary import FrenchLevel, Mobility, ProtectionStatus


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
    departments: list[Department] | None = Field(None, max_length=MAX_DEPARTMENTS, description="Départements served")
    area: list[Department] | None = Field(
        None,
        max_length=MAX_DEPARTMENTS,
        description="Départements the programme recruits from; people living elsewhere qualify "
        "only if willing to move nationally",
    )
    protection_statuses: list[ProtectionStatus] | None = Field(None, max_length=len(ProtectionStatus))
    rsa_applicant_required: bool = False
    mobility_required: Mobility | None = Field(None, description="Minimum willingness to move ('region' or 'national')")
    return_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$", max_length=2)]] | None = Field(
        None, max_length=60, description="Return programmes: the countries of return they serve (ISO 3166 alpha-2)"
    )

    @model_validator(mode="after")
    def _bounds_in_order(self) -> Self:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age ({self.min_age}) dépasse max_age ({self.max_age}) / min_age is above max_age")
        if self.min_french is not None and self.max_french is not None and self.min_french.rank > self.max_french.rank:
            raise ValueError(
                f"min_french ({self.min_french.value}) dépasse max_french ({self.max_french.value})"
                " / min_french is above max_french"
            )
        return self


class SiteAddress(BaseModel):
    """The street address of a programme's site, as a public directory gives it (never guessed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    street: str = Field(
        min_length=3, max_length=200, description="Number and street (HSDS address_1)", examples=["4 rue Gustave Doré"]
    )
    postal_code: str = Field(pattern=r"^[0-9]{5}$", max_length=5, examples=["67000"])
    city: str = Field(min_length=1, max_length=100, examples=["Strasbourg"])
    insee_code: str = Field(
        pattern=r"^([0-9]{2}|2A|2B)[0-9]{3}$",
        max_length=5,
        description="INSEE code of the commune (Code officiel géographique)",
        examples=["67482"],
    )
    latitude: float | None = Field(None, ge=-90, le=90, description="WGS 84, only when a source gives it")
    longitude: float | None = Field(None, ge=-180, le=180, description="WGS 84, only when a source gives it")


class ProgrammeOpening(Event):
    """A cohort of a partner's programme: where, when, how many seats, for whom."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "programme.opening.v1"

    opening_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,80}$", max_length=81, examples=["epide-strasbourg-2027-01"])
    programme: str = Field(min_length=2, max_length=80, examples=["Epide"], json_schema_extra=schema_pattern())
    partner_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", max_length=63, examples=["epide"])
    partner_name: str = Field("", max_length=120, examples=["Epide"], json_schema_extra=schema_pattern(empty=True))
    title: str = Field("", max_length=200, json_schema_extra=schema_pattern(empty=True))
    department: Department
    starts_on: date
    seats: int = Field(ge=0, le=100_000)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    target_occupations: list[RomeCode] = Field(default_factory=list, max_length=50)
    target_skills: list[Skill] = Field(default_factory=list, max_length=100)
    offers_housing: bool = False
    response_days: int = Field(7, ge=1, le=90, description="Days the partner has to answer a referral")
    address: SiteAddress | None = Field(None, description="The site's street address; absent when none is known")
