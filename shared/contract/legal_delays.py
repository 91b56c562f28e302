"""Legal delays that run from a newcomer's RSA application, and how close a newcomer is to them.

- RSA: the applicant is oriented within 6 weeks of the application (then signs an engagement contract
  within 4 weeks of the orientation).
- SPIE (Alsace): a new RSA applicant gets a first appointment within 30 days at most; an opening that
  is only for new RSA applicants (`rsa_applicant_required`) runs on this shorter delay.

Matching weighs urgency in its objective (a newcomer near a deadline is assigned first); referrals shows
the date ("à orienter avant le …") to the auditor and the partner; a decision window never holds a
referral back past it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

ORIENTATION_DELAY = timedelta(weeks=6)
SPIE_APPOINTMENT_DELAY = timedelta(days=30)


@dataclass(frozen=True)
class LegalDeadline:
    due_on: date
    delay: timedelta  # the whole legal delay, from the application to `due_on`
    rule: str  # French first, then English


def legal_deadline(rsa_applied_on: date | None, rsa_only_opening: bool = False) -> LegalDeadline | None:
    """The deadline to meet for a newcomer who applied for the RSA on `rsa_applied_on` (None: no delay runs);
    `rsa_only_opening`: the opening is for new RSA applicants only (SPIE: a first appointment within 30 days)."""
    if rsa_applied_on is None:
        return None
    if rsa_only_opening:
        return LegalDeadline(
            rsa_applied_on + SPIE_APPOINTMENT_DELAY, SPIE_APPOINTMENT_DELAY,
            "premier rendez-vous sous 30 jours après la demande de RSA / first appointment within 30 days of "
            "the RSA application",
        )  # fmt: skip
    return LegalDeadline(
        rsa_applied_on + ORIENTATION_DELAY, ORIENTATION_DELAY,
        "orientation sous 6 semaines après la demande de RSA / orientation within 6 weeks of the RSA application",
    )  # fmt: skip
