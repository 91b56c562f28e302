"""`beneficiary.profile.v1`: the pseudonymous profile recorded at a CIR signing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.contract.events.bounded import ProgrammeName
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.human_text import schema_pattern
from shared.contract.vocabulary import FrenchLevel, Housing, Mobility, ProtectionStatus

BeneficiaryId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$",
        max_length=64,
        description="Pseudonymous identifier given by the integration office; never a name.",
        examples=["b-67-2026-000123"],
    ),
]
RomeCode = Annotated[
    str,
    Field(pattern=r"^[A-N][0-9]{4}$", max_length=5, description="ROME 4.0 occupation code", examples=["F1703"]),
]
Department = Annotated[
    str,
    Field(
        pattern=r"^(0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2A|2B|97[1-6])$",
        max_length=3,
        description="French département code",
        examples=["67"],
    ),
]
Skill = Annotated[
    str,
    Field(min_length=1, max_length=80, json_schema_extra=schema_pattern()),  # readable: referrals' door checks it
]


class Preferences(BaseModel):
    """What the newcomer asked for: preferred programmes or départements weigh in; vetoes exclude."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    programmes: list[ProgrammeName] = Field(default_factory=list, max_length=20, examples=[["HOPE"]])
    departments: list[Department] = Field(default_factory=list, max_length=20)
    vetoes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="Programmes or opening ids never to propose"
    )


class BeneficiaryProfile(Event):
    """What matching may know about a newcomer: no name, no contact, no nationality."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "beneficiary.profile.v1"

    beneficiary_id: BeneficiaryId
    birth_date: date = Field(description="Date of birth; ages are computed at an opening's start date")
    french_level: FrenchLevel | None = Field(None, description="CEFR level, or 'none'; null when not assessed")
    diploma_level: int | None = Field(
        None, ge=0, le=8, description="EQF level of the highest diploma, 0 = none; null when not recorded"
    )
    occupations: list[RomeCode] = Field(default_factory=list, max_length=20)
    skills: list[Skill] = Field(default_factory=list, max_length=50)
    department: Department
    mobility: Mobility | None = Field(None, description="Willingness to move; null when not asked")
    housing: Housing | None = Field(None, description="Housing situation; null when not recorded")
    protection_status: ProtectionStatus | None = None
    rsa_applicant: bool | None = Field(None, description="New applicant for the RSA income support")
    rsa_applied_on: date | None = Field(
        None,
        description="Date of the RSA application: the legal delays (orientation within 6 weeks, a SPIE "
        "appointment within 30 days) run from it; implies rsa_applicant",
    )
    return_country: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}$",
        max_length=2,
        description="Only for returnees who asked for return assistance (ISO 3166)",
    )
    preferences: Preferences = Field(default_factory=Preferences)
    household_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$",
        max_length=64,
        description="Pseudonymous id shared by the members of one family, each signing a CIR: in a programme "
        "that houses people they are placed together (one département) or not at all",
        examples=["f-67-2026-000045"],
    )
    consent_to_share: bool = Field(description="Consent to share contact details with partners")
    cir_signed_on: date
    version: int = Field(
        1, ge=1, le=10_000, description="1 at the signing; each amendment by the auditor publishes the next version"
    )

    @model_validator(mode="before")
    @classmethod
    def _rsa_date_implies_an_applicant(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("rsa_applied_on") and data.get("rsa_applicant") is None:
            return {**data, "rsa_applicant": True}
        return data

    @field_validator("rsa_applied_on")
    @classmethod
    def _rsa_date_means_an_applicant(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("rsa_applicant") is False:
            raise ValueError(
                "date de demande de RSA sans demande de RSA / rsa_applied_on given but rsa_applicant is false"
            )
        return value
