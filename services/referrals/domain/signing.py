"""A CIR signing as the auditor records it: the profile, plus contact details that never leave referrals."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from shared.events import BeneficiaryProfile


class ContactDetails(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = Field(None, max_length=254)
    phone: str | None = Field(None, pattern=r"^\+?[0-9 ().-]{6,20}$", max_length=21)


class CirSigningCreate(BeneficiaryProfile):
    """Body of `POST /v1/cir-signings`: the profile contract plus optional contact details."""

    contact: ContactDetails | None = Field(None, description="Kept by referrals only: never on a shared topic")

    @model_validator(mode="after")
    def _dates_make_sense(self) -> Self:
        if self.birth_date >= self.cir_signed_on:
            raise ValueError("birth_date must be before cir_signed_on")
        return self

    def profile(self) -> BeneficiaryProfile:
        """The pseudonymous part that may be published."""
        return BeneficiaryProfile(**self.model_dump(exclude={"contact"}))
