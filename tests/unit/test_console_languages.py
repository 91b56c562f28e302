"""French is the console's language; every word of its pages has an English translation in the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.referrals.wording import french, i18n

TEMPLATES = Path(french.__file__).parents[1] / "console" / "templates"
LABELS = (french.FRENCH_LEVEL, french.HOUSING, french.PROTECTION, french.MOBILITY, french.STATUS,
          french.DECLINE_REASON, french.OUTCOME, french.DIPLOMA, french.CONSENT_CHANNEL,
          french.AUDIT_ACTION, french.CHANCES)  # fmt: skip


def test_every_message_of_the_pages_and_every_label_has_an_english_translation() -> None:
    messages = i18n.template_messages(TEMPLATES)
    assert len(messages) > 150  # the extraction found the pages' words
    labels = [label for table in LABELS for label in table.values()]
    assert i18n.untranslated(messages + labels) == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "Orientation vers Epide"), ("en", "Referral to Epide"), ("de", "Orientation vers Epide")],
)
def test_a_message_is_given_in_the_chosen_language_and_french_otherwise(language: str, expected: str) -> None:
    i18n.use(language)
    try:
        assert i18n.translate("Orientation vers %(programme)s", programme="Epide") == expected
    finally:
        i18n.use("fr")


def test_dates_follow_the_language() -> None:
    from datetime import date

    assert french.long_date(date(2027, 1, 4)) == "4 janvier 2027"
    i18n.use("en")
    try:
        assert french.long_date(date(2027, 1, 4)) == "4 January 2027"
    finally:
        i18n.use("fr")
