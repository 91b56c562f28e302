"""Realistic test data: a profile, an opening, a signing body."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.contract.events import BeneficiaryProfile, Eligibility, ProgrammeOpening
from tests.support import random_ref

# Fields that must never reach a partner: identity, contact, birth date, nationality, legal status.
PERSONAL_FIELDS = frozenset(
    {"beneficiary_id", "birth_date", "given_name", "family_name", "email", "phone", "contact", "nationality",
     "protection_status"}
)  # fmt: skip


def profile(**overrides: Any) -> BeneficiaryProfile:
    values: dict[str, Any] = {
        "beneficiary_id": random_ref("b"),
        "birth_date": date(2004, 6, 1),
        "french_level": "A2",
        "diploma_level": 0,
        "occupations": ["G1602"],
        "skills": ["cuisine"],
        "department": "67",
        "mobility": "region",
        "housing": "cph",
        "protection_status": "subsidiary",
        "rsa_applicant": False,
        "consent_to_share": True,
        "cir_signed_on": date(2026, 11, 16),
    }
    values.update(overrides)
    return BeneficiaryProfile(**values)


def epide_opening(**overrides: Any) -> ProgrammeOpening:
    values: dict[str, Any] = {
        "opening_id": random_ref("epide"),
        "programme": "Epide",
        "partner_id": "epide",
        "department": "67",
        "starts_on": date(2027, 1, 4),
        "seats": 120,
        "eligibility": Eligibility(min_age=17, max_age=25, min_french="A2", max_diploma_level=0),
        "offers_housing": True,
    }
    values.update(overrides)
    return ProgrammeOpening(**values)


def signing_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = profile().model_dump(mode="json")
    body["contact"] = {"given_name": "Amina", "family_name": "Diallo", "email": "amina@example.org"}
    body.update(overrides)
    return body
