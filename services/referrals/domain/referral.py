"""A referral: one beneficiary proposed to one opening, and what partners may learn of the person."""

from __future__ import annotations

import uuid
from datetime import date

from shared.contract.age import age_on
from shared.contract.events import BeneficiaryProfile, CandidateSummary, ProgrammeOpening
from shared.contract.legal_delays import legal_deadline
from shared.contract.vocabulary import Housing

REFERRAL_NAMESPACE = uuid.UUID("0f6a3e1c-9a57-4f0e-8d36-5b7e2a9c1d40")
AGE_BANDS = ((0, 17, "under 18"), (18, 25, "18-25"), (26, 35, "26-35"), (36, 45, "36-45"), (46, 55, "46-55"))
NEEDS_HOUSING = {Housing.NONE, Housing.CPH, Housing.CADA}


def referral_id_for(beneficiary_id: str, opening_id: str) -> str:
    """A newcomer holds at most one seat per opening, so (beneficiary, opening) is one referral,
    however often the profile is re-published or the proposal redelivered."""
    return str(uuid.uuid5(REFERRAL_NAMESPACE, f"{beneficiary_id}:{opening_id}"))


def referral_event_id(referral_id: str, sequence: int) -> str:
    """The n-th event of a referral always has the same id, so a re-publication is recognisable."""
    return str(uuid.uuid5(REFERRAL_NAMESPACE, f"{referral_id}:{sequence}"))


def age_band(birth_date: date, on: date) -> str:
    age = age_on(birth_date, on)
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "56+"


def candidate_summary(
    profile: BeneficiaryProfile, on: date, pools: bool | None = None, opening: ProgrammeOpening | None = None
) -> CandidateSummary:
    """What a partner may see of a candidate: banded age, no name, contact, birth date or nationality;
    `consented` is whether it may be shown in other partners' pools (the consent record's answer);
    `orient_by`, the legal deadline to meet for the `opening` (an RSA-only one runs on 30 days)."""
    rsa_only = opening is not None and opening.eligibility.rsa_applicant_required
    deadline = legal_deadline(profile.rsa_applied_on, rsa_only)
    return CandidateSummary(
        age_band=age_band(profile.birth_date, on),
        french_level=profile.french_level,
        diploma_level=profile.diploma_level,
        occupations=list(profile.occupations),
        skills=list(profile.skills),
        department=profile.department,
        mobility=profile.mobility,
        needs_housing=None if profile.housing is None else profile.housing in NEEDS_HOUSING,
        consented=profile.consent_to_share if pools is None else pools,
        orient_by=deadline.due_on if deadline else None,
    )
