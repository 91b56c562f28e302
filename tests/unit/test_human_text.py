"""Names and free text at the door (issue 30, class 9): NFC; control, bidi, zero-width, separator and
blank refused with a French-then-English message naming the field and never the value; a search that finds
a person whatever the accents, case, spacing and word order."""

from __future__ import annotations

import unicodedata

import pytest

from services.referrals.console.name_search import matches
from services.referrals.console.spreadsheet_cells import spreadsheet_cell
from services.referrals.domain.errors import InvalidFields
from services.referrals.domain.signing import CirSigningCreate
from shared.contract.human_text import BLANK, UNREADABLE, readable
from tests.factories import signing_body

BAD = {
    "NUL": "Ami\x00na",
    "a control character": "Ami\x07na",
    "a right-to-left override": "Amina\u202egnp.exe",
    "a bidi isolate": "\u2066Amina\u2069",
    "a zero-width space": "Ami\u200bna",
    "a zero-width joiner": "Ami\u200dna",
    "a byte-order mark": "\ufeffAmina",
    "a line separator": "Ami\u2028na",
    "a paragraph separator": "Ami\u2029na",
    "a private-use character": "Ami\ue000na",
}


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
def test_an_unreadable_name_is_refused_naming_the_field_and_not_the_value(value: str) -> None:
    signing = CirSigningCreate.model_validate(signing_body(contact={"given_name": value, "family_name": "Diallo"}))
    with pytest.raises(InvalidFields) as refused:
        signing.readable()
    [(where, message)] = refused.value.problems
    assert where == ("contact", "given_name") and message == UNREADABLE
    assert "Ami" not in message and message.startswith("Caractère")  # French first, then English


@pytest.mark.parametrize("value", ["", "   ", "\u00a0\u2003"], ids=["empty", "spaces", "other spaces"])
def test_a_blank_name_is_refused(value: str) -> None:
    signing = CirSigningCreate.model_validate(signing_body(contact={"given_name": "Amina", "family_name": "x"}))
    signing = signing.model_copy(update={"contact": signing.contact.model_copy(update={"family_name": value})})  # type: ignore[union-attr]
    with pytest.raises(InvalidFields) as refused:
        signing.readable()
    assert refused.value.problems == [(("contact", "family_name"), BLANK)]


def test_skills_are_judged_each_with_its_place() -> None:
    signing = CirSigningCreate.model_validate(signing_body(skills=["soudure", "cuisine\u200b"]))
    with pytest.raises(InvalidFields) as refused:
        signing.readable()
    assert refused.value.problems == [(("skills", "1"), UNREADABLE)]


def test_names_are_kept_in_nfc_whatever_keyboard_typed_them() -> None:
    decomposed = unicodedata.normalize("NFD", "Hélène Ngọc")
    signing = CirSigningCreate.model_validate(signing_body(contact={"given_name": decomposed, "family_name": " Lê "}))
    kept = signing.readable()
    assert kept.contact is not None and kept.contact.given_name == "Hélène Ngọc" and kept.contact.family_name == "Lê"
    assert kept.contact.given_name != decomposed


def test_notes_may_hold_lines_names_may_not() -> None:
    assert (
        readable("Absente au rendez-vous.\nRappel lundi.", multiline=True) == "Absente au rendez-vous.\nRappel lundi."
    )
    with pytest.raises(ValueError, match="invisible"):
        readable("Absente\nRappel")


@pytest.mark.parametrize(
    "query", ["fatou", "CAMARA", "camara fatou", "  Fatou   Camará ", "fat cam", "Kadiatou-Fatou"[9:], "67-2026-0042"]
)
def test_a_person_is_found_whatever_the_accents_case_spacing_and_order(query: str) -> None:
    assert matches(query, "Fátou", "Camara", "67-2026-0042")


@pytest.mark.parametrize("query", ["fatima", "camara amina", "0043"])
def test_a_search_does_not_find_someone_else(query: str) -> None:
    assert not matches(query, "Fatou", "Camara", "67-2026-0042")


def test_names_with_apostrophes_and_hyphens_are_found_by_each_part() -> None:
    assert matches("oulad", "Mohamed", "Aït-Oulad", "x-1") and matches("ait", "Mohamed", "Aït-Oulad", "x-1")
    assert matches("d angelo", "Luca", "D'Angelo", "x-1") and matches("dangelo", "Luca", "D'Angelo", "x-1")


@pytest.mark.parametrize(
    ("value", "written"),
    [("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+33 6", "'+33 6"), ("-2+3", "'-2+3"),
     ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("Epide", "Epide"), ("2027-01-04", "2027-01-04"),
     (None, "")],
)  # fmt: skip
def test_a_csv_cell_that_a_spreadsheet_would_evaluate_is_written_as_text(value: str | None, written: str) -> None:
    assert spreadsheet_cell(value) == written
