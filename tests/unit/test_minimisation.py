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


def test_an_auditors_words_are_left_out_of_the_partners_view_until_the_person_may_be_known() -> None:
    """Issue 30, class 8: skills, a referral-by-hand's reason and an auditor's notes carry names."""
    from datetime import UTC, datetime

    from services.referrals.domain.referral_view import HistoryEntry, ReferralView, for_partner
    from shared.contract.vocabulary import ReferralEventKind, ReferralStatus

    at = datetime(2027, 1, 4, tzinfo=UTC)
    summary = candidate_summary(profile(skills=["soudure", "aide à Awa Koné"]), date(2026, 11, 20))
    entries = [HistoryEntry(sequence=1, kind=ReferralEventKind.STATUS, status=ReferralStatus.SENT, at=at,
                            actor="auditor:claire.martin", note="Awa Koné le souhaite")]  # fmt: skip
    view = ReferralView(referral_id="r-1", beneficiary_id="b-1", opening_id="o-1", partner_id="p", programme="P",
                        status=ReferralStatus.SENT, version=1, reasons=["orientation manuelle : Awa Koné le souhaite"],
                        created_at=at, updated_at=at, next_step="", candidate=summary, history=entries)  # fmt: skip

    for shown in (
        for_partner(view, consents_now=True),
        for_partner(view.model_copy(update={"status": ReferralStatus.ACCEPTED}), consents_now=False),
    ):
        assert "Koné" not in shown.model_dump_json()
        assert shown.reasons == ["orientation manuelle"] and shown.candidate.skills == []
    accepted = for_partner(view.model_copy(update={"status": ReferralStatus.ACCEPTED}), consents_now=True)
    assert accepted.history[0].note == "Awa Koné le souhaite" and "aide à Awa Koné" in accepted.candidate.skills
