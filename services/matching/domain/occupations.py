"""Similarity of a newcomer's past occupations and skills to an opening's targets: TF-IDF over ROME codes
(with their family and domain, so F1701 is close to F1703) and skill words, cosine similarity."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

_WORD = re.compile(r"[a-zà-ÿ0-9]+")


def occupation_tokens(occupations: Iterable[str], skills: Iterable[str]) -> list[str]:
    """ROME F1703 gives rome:F1703, fam:F17 and dom:F; a skill gives one token per word."""
    tokens = []
    for code in occupations:
        tokens += [f"rome:{code}", f"fam:{code[:3]}", f"dom:{code[0]}"]
    for skill in skills:
        tokens += [f"skill:{word}" for word in _WORD.findall(skill.lower())]
    return tokens


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class OccupationSpace:
    """TF-IDF fitted on the openings' targets; profiles are projected into the same space."""

    def __init__(self, opening_tokens: Sequence[list[str]]) -> None:
        self._vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
        # One extra document keeps the vocabulary non-empty when there are no openings yet.
        corpus = [tokens or ["<none>"] for tokens in opening_tokens] + [["<none>"]]
        self.openings: csr_matrix = self._vectorizer.fit_transform(corpus).tocsr()[:-1]
        self._index: dict[str, int] = {t: int(i) for t, i in self._vectorizer.vocabulary_.items()}
        self._idf = self._vectorizer.idf_.astype(np.float64)
        self.has_targets = np.array([bool(tokens) for tokens in opening_tokens])
        self.is_code = np.array([t.startswith("rome:") for t in self._vectorizer.get_feature_names_out()])
        self._codes = np.flatnonzero(self.is_code)
        self.opening_codes = self.codes_of(self.openings)

    def codes_of(self, vectors: csr_matrix) -> csr_matrix:
        """Which ROME codes of the space each row holds (1 or 0), from its TF-IDF vector."""
        return (vectors[:, self._codes] > 0).astype(np.float32).tocsr()

    def profiles(self, profile_tokens: Sequence[list[str]]) -> csr_matrix:
        return self._vectorizer.transform(profile_tokens).tocsr()

    def profile_vector(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """One profile as (vocabulary indices, l2-normalised weights), without the vectorizer's overhead."""
        counts: dict[int, int] = {}
        for token in tokens:
            index = self._index.get(token)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return np.empty(0, dtype=np.int64), np.empty(0)
        indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        weights = tf * self._idf[indices]
        return indices, weights / np.linalg.norm(weights)
