"""Finding a ROME 4.0 occupation by typing a job title in French ("soudeur", "aide-cuisinier").

The referential is installed at set-up (`passerelle.rome_fetch`); each typed word matches the words of a
title by their first letters, accents and case folded, so "cuisinier" finds "Cuisinier / Cuisinière"
and "Commis / Commise de cuisine"."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

STEM = 6  # letters of a typed word that must match the start of a word of the title
_WORD = re.compile(r"[a-z0-9]+")
_SMALL_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "en", "et", "d", "l", "a", "au", "aux"})


class ReferentialMissing(RuntimeError):
    """The ROME file was not installed: `make install` fetches it."""


def fold(text: str) -> str:
    """Lower case without accents: 'Maçonne' → 'maconne'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in _SMALL_WORDS]


@dataclass(frozen=True)
class Occupation:
    code: str
    title: str


class OccupationReferential:
    def __init__(self, occupations: list[Occupation]) -> None:
        self._occupations = occupations
        self._by_code = {o.code: o for o in occupations}

    @classmethod
    def load(cls, path: Path) -> OccupationReferential:
        if not path.exists():
            raise ReferentialMissing(f"référentiel ROME absent : {path} (make install le télécharge)")
        rows = json.loads(path.read_text(encoding="utf-8"))
        return cls([Occupation(r["code"], r["libelle"]) for r in rows])

    def __len__(self) -> int:
        return len(self._occupations)

    def get(self, code: str) -> Occupation | None:
        return self._by_code.get(code.strip().upper())

    def title(self, code: str) -> str:
        found = self.get(code)
        return found.title if found else code

    @cached_property
    def _index(self) -> list[tuple[Occupation, list[str]]]:
        return [(o, _words(o.title)) for o in self._occupations]

    def search(self, typed: str, limit: int = 12) -> list[Occupation]:
        """Titles matching the most typed words (a ROME code typed as such comes first)."""
        exact = self.get(typed)
        if exact is not None:
            return [exact]
        wanted = [w[:STEM] for w in _words(typed)]
        if not wanted:
            return []
        scored: list[tuple[int, int, str, Occupation]] = []
        for occupation, words in self._index:
            hits = sum(1 for w in wanted if any(word.startswith(w) for word in words))
            if hits:
                scored.append((-hits, len(occupation.title), occupation.code, occupation))
        scored.sort()
        return [s[3] for s in scored[:limit]]
