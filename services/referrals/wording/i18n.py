"""The console's languages: French, the language of every page, and English from a gettext catalogue
(`locales/en/LC_MESSAGES/messages.po`, read with Babel at start-up; no compiled file to build).

The French text is the message id, so a French page needs no catalogue; the language of a request is
the session's choice (`?lang=en` or `?lang=fr`, a link in the header), French by default."""

from __future__ import annotations

import gettext
import io
import re
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
CATALOGUES = Path(__file__).parent / "locales"
_current: ContextVar[str] = ContextVar("console_language", default="fr")


def _load(language: str) -> gettext.NullTranslations:
    path = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


_TRANSLATIONS = {language: _load(language) for language in LANGUAGES if language != "fr"}


def use(language: str) -> None:
    _current.set(language if language in LANGUAGES else "fr")


def current() -> str:
    return _current.get()


def translate(message: str, **values: object) -> str:
    """`_()` in the templates: the message in the request's language, formatted with `values`."""
    translations = _TRANSLATIONS.get(_current.get())
    text = translations.gettext(message) if translations else message
    return text % values if values else text


MESSAGE = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def template_messages(templates_dir: Path) -> list[str]:
    """Every literal message id of the templates: `_("…")` calls."""
    found: list[str] = []
    for template in sorted(templates_dir.glob("*.html")):
        for match in MESSAGE.finditer(template.read_text(encoding="utf-8")):
            message = (match.group(1) if match.group(1) is not None else match.group(2)).replace('\\"', '"')
            if message not in found:
                found.append(message)
    return found


def untranslated(messages: list[str]) -> list[str]:
    """The messages the English catalogue lacks (the test keeps this empty)."""
    english = _TRANSLATIONS["en"]
    known = getattr(english, "_catalog", {})
    return [m for m in messages if m not in known]
