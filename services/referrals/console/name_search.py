"""Finding a person in the auditor's territory by what the auditor types: accents, case, spacing,
apostrophes, hyphens and word order do not matter; every word typed must begin a word of the name, or
appear in the name written without spaces ("dangelo" finds D'Angelo), or in the OFII file number."""

from __future__ import annotations

from shared.contract.human_text import fold


def matches(query: str, given_name: str, family_name: str, file_number: str) -> bool:
    words = fold(query).split()
    if not words:
        return True
    name = fold(f"{given_name} {family_name}").split()
    joined, number = "".join(name), fold(file_number)
    return all(any(part.startswith(w) for part in name) or w in joined or w in number for w in words)
