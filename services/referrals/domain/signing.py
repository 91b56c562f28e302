"""A CIR signing as the auditor records it: the profile, plus contact details that never leave referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from services.referrals.domain.errors import InvalidFields
from shared.contract.age import age_on
from shared.contract.events import BeneficiaryProfile
from shared.contract.human_text import readable, schema_pattern


@dataclass(frozen=True)
class SigningDateRules:
    """Ages at which a CIR can plausibly be signed (settings MIN_AGE_AT_SIGNING, MAX_AGE_AT_SIGNING)."""

    min_age: int = 16
    max_age: int = 100


class ContactDetails(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str = Field(min_length=1, max_length=100, json_schema_extra=schema_pattern())
    family_name: str = Field(min_length=1, max_length=100, json_schema_extra=schema_pattern())
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

    def implausible_dates(self, today: date, rules: SigningDateRules) -> list[tuple[tuple[str, ...], str]]:
        """What the clock says cannot be: a date in the future, or an age at signing outside the rules."""
        problems: list[tuple[tuple[str, ...], str]] = []
        if self.birth_date > today:
            problems.append((("birth_date",), "date de naissance dans le futur / birth_date is in the future"))
        if self.cir_signed_on > today:
            problems.append((("cir_signed_on",), "signature du CIR dans le futur / cir_signed_on is in the future"))
        if self.rsa_applied_on is not None and self.rsa_applied_on > today:
            problems.append((("rsa_applied_on",), "demande de RSA dans le futur / rsa_applied_on is in the future"))
        age = age_on(self.birth_date, self.cir_signed_on)
        if age < rules.min_age:
            problems.append(
                (("birth_date",), f"moins de {rules.min_age} ans à la signature / under {rules.min_age} at signing")
            )
        if age > rules.max_age:
            problems.append(
                (("birth_date",), f"plus de {rules.max_age} ans à la signature / over {rules.max_age} at signing")
            )
        return problems

    def readable(self) -> CirSigningCreate:
        """This signing with its names and skills in NFC, trimmed; InvalidFields naming each one holding a
        control, bidi or invisible character, or blank (a person must stay findable by what was typed).
        Judged at the door, by the use cases: records already on the log are read as they were written."""
        problems: list[tuple[tuple[str, ...], str]] = []

        def kept(where: tuple[str, ...], value: str) -> str:
            try:
                return readable(value)
            except ValueError as exc:
                problems.append((where, str(exc)))
                return value

        contact = self.contact
        if contact is not None:
            contact = contact.model_copy(update={
                "given_name": kept(("contact", "given_name"), contact.given_name),
                "family_name": kept(("contact", "family_name"), contact.family_name),
            })  # fmt: skip
        skills = [kept(("skills", str(n)), skill) for n, skill in enumerate(self.skills)]
        if problems:
            raise InvalidFields(problems)
        return self.model_copy(update={"contact": contact, "skills": skills})

    def profile(self) -> BeneficiaryProfile:
        """The pseudonymous part that may be published."""
        return BeneficiaryProfile(**self.model_dump(exclude={"contact"}))
