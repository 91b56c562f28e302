from datetime import date

import pytest
from pydantic import ValidationError

from services.referrals.domain.referral import age_band, candidate_summary
from services.referrals.domain.signing import CirSigningCreate
from tests.factories import PERSONAL_FIELDS, profile, signing_body


def test_the_candidate_summary_has_no_personal_field() -> None:
    summary = candidate_summary(profile(birth_date=date(2004, 6, 1)), date(2026, 11, 20))

    assert not PERSONAL_FIELDS & set(summary.model_dump())
    assert summary.age_band == "18-25"


@pytest.mark.parametrize(
    ("birth", "band"),
    [
        (date(2008, 11, 21), "under 18"),
        (date(2008, 11, 20), "18-25"),
        (date(1990, 1, 1), "36-45"),
        (date(1960, 1, 1), "56+"),
    ],
)
def test_age_bands(birth: date, band: str) -> None:
    assert age_band(birth, date(2026, 11, 20)) == band


def test_the_published_profile_drops_the_contact_details() -> None:
    signing = CirSigningCreate(**signing_body())

    published = signing.profile().model_dump()

    assert "contact" not in published
    assert signing.contact is not None and signing.contact.family_name == "Diallo"


def test_a_birth_date_after_the_signing_is_refused() -> None:
    with pytest.raises(ValidationError, match="birth_date must be before cir_signed_on"):
        CirSigningCreate(**signing_body(birth_date="2027-01-01"))
