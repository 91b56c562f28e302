"""The auditor's signing form: the RSA date and the household, read from the form, with French messages
beside the field that is wrong."""

from __future__ import annotations

from services.referrals.console.forms import parse_signing
from services.referrals.console.occupations import OccupationReferential

FORM = {"beneficiary_id": "67-2026-000123", "birth_date": "1990-04-01", "cir_signed_on": "2026-11-20",
        "department": "67", "consent_to_share": "oui"}  # fmt: skip
NO_OCCUPATIONS = OccupationReferential([])


def test_the_rsa_date_and_the_household_are_read_from_the_form() -> None:
    result = parse_signing(FORM | {"rsa_applicant": "oui", "rsa_applied_on": "2026-11-02",
                                   "household_id": "foyer-67-0001"}, NO_OCCUPATIONS)  # fmt: skip

    assert result.errors == {} and result.signing is not None
    assert result.signing.rsa_applied_on is not None and result.signing.rsa_applied_on.isoformat() == "2026-11-02"
    assert result.signing.household_id == "foyer-67-0001"


def test_a_date_without_an_application_and_a_malformed_household_are_named_in_french() -> None:
    contradiction = parse_signing(FORM | {"rsa_applicant": "non", "rsa_applied_on": "2026-11-02"}, NO_OCCUPATIONS)
    malformed = parse_signing(FORM | {"rsa_applicant": "oui", "rsa_applied_on": "le 2 novembre",
                                      "household_id": "foyer 1"}, NO_OCCUPATIONS)  # fmt: skip

    assert contradiction.signing is None
    assert contradiction.errors == {"rsa_applied_on": "Une date de demande de RSA suppose « Demande de RSA : oui »."}
    assert malformed.signing is None and "sans espace" in malformed.errors["household_id"]
    assert "RSA : oui" not in malformed.errors["rsa_applied_on"]  # a bad date is not a contradiction
