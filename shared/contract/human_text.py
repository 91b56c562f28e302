"""Text people write (names, skills, notes, titles), as the door accepts it: in Unicode NFC, so that the
same name is stored one way whatever keyboard typed it, and without what makes a text unreadable or
unfindable — control characters (NUL included), bidirectional overrides, embeddings and isolates,
zero-width and other invisible format characters, line and paragraph separators (U+2028/U+2029, which cut
a JSON line in two for some readers), private-use code points of the Basic Multilingual Plane and lone
surrogates — nor blank. Line breaks
and tabs are allowed only where a text may hold several lines (notes).

The refused characters are listed, not taken from Unicode categories, so that the OpenAPI document can say
exactly the same thing as a `pattern` (every client, and the fuzz test, then knows what is accepted)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, Field

REFUSED_RANGES = (
    (0x0000, 0x001F),  # C0 controls (tab, line feed and carriage return are let through in notes)
    (0x007F, 0x009F),  # DEL and C1 controls
    (0x00AD, 0x00AD),  # soft hyphen
    (0x061C, 0x061C),  # Arabic letter mark
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
    (0x2028, 0x202E),  # line and paragraph separators; bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated format characters
    (0xE000, 0xF8FF),  # private use
    (0xFEFF, 0xFEFF),  # zero-width no-break space (byte-order mark)
    (0xFFF9, 0xFFFB),  # interlinear annotation
)  # all in the Basic Multilingual Plane, written as \uXXXX: a pattern Python and JavaScript both read
MULTILINE = "\t\n\r"
UNREADABLE = (
    "Caractère invisible, de contrôle ou de direction refusé : retapez ce texte au clavier plutôt que de le coller."
    " / Control, bidirectional or invisible character refused: type the text rather than pasting it."
)
BLANK = "Ne peut pas être vide ni fait d'espaces. / Must not be empty or only spaces."


def _pattern(multiline: bool) -> str:
    """One refused character anywhere fails; one visible character is needed (not blank)."""
    allowed = {ord(c) for c in MULTILINE} if multiline else set()
    codes = [c for low, high in REFUSED_RANGES for c in range(low, high + 1) if c not in allowed]
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    refused = "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
    return f"^[^{refused}]*[^\\s{refused}][^{refused}]*$"


ONE_LINE_PATTERN = _pattern(multiline=False)
LINES_PATTERN = _pattern(multiline=True)
_ONE_LINE = re.compile(ONE_LINE_PATTERN)  # fullmatch: `$` as JSON Schema reads it (no newline before it)
_LINES = re.compile(LINES_PATTERN)


def readable(value: str, *, multiline: bool = False) -> str:
    """`value` in NFC, trimmed; ValueError (French, then English, never the value) if it cannot be kept.
    Lone surrogates (a JSON "\\ud800" alone, which no UTF-8 can carry on) are refused too; the pattern
    cannot name them (JSON Schema validators in Rust or JavaScript hold no such character)."""
    text = unicodedata.normalize("NFC", value)
    if not text.strip():
        raise ValueError(BLANK)
    if not (_LINES if multiline else _ONE_LINE).fullmatch(text) or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise ValueError(UNREADABLE)
    return text.strip()


def _one_line(value: str) -> str:
    return readable(value)


def _lines(value: str) -> str:
    return readable(value, multiline=True)


def schema_pattern(multiline: bool = False, empty: bool = False) -> dict[str, Any]:
    """What the OpenAPI document says of such a text (the validator, not pydantic's regex, enforces it);
    `empty`: an empty string is allowed too (an optional title), a blank one is not."""
    pattern = LINES_PATTERN if multiline else ONE_LINE_PATTERN
    return {"pattern": f"^(|{pattern[1:-1]})$" if empty else pattern}


OneLineText = Annotated[str, AfterValidator(_one_line), Field(json_schema_extra=schema_pattern())]
FreeText = Annotated[str, AfterValidator(_lines), Field(json_schema_extra=schema_pattern(multiline=True))]


def fold(text: str) -> str:
    """For searching: no accents, no case, apostrophes and hyphens as spaces, one space between words;
    invisible and control characters (a zero-width space pasted with a name) are dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(
        c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) not in ("Cc", "Cf")
    ).casefold()
    for separator in "-'\u2019\u2018`\u00b4.,":  # hyphen, apostrophes typed or typographic, dots, commas
        bare = bare.replace(separator, " ")
    return " ".join(bare.split())
