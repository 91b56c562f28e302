"""The features of a (newcomer, opening) pair that the success model sees.

Only these; nationality, religion, ethnicity and gender are not in the profile at all, and age and
protection status, which decide eligibility, are deliberately left out of the score."""

from __future__ import annotations

import numpy as np

from services.matching.domain.tables import OpeningTable, ProfileTable

FEATURES = (
    "occupation_similarity",
    "general_programme",
    "french_margin",
    "french_level",
    "same_department",
    "same_region",
    "relocation",
    "housing_met",
    "housing_unmet",
    "diploma_level",
)
F = len(FEATURES)


def pair_features(
    p: ProfileTable,
    pi: np.ndarray,
    o: OpeningTable,
    oj: np.ndarray,
    similarity: np.ndarray,
) -> np.ndarray:
    """Array (len(pi), F) of float32 for the pairs (pi[k], oj[k]); `similarity` is their occupation cosine."""
    x = np.empty((len(pi), F), dtype=np.float32)
    x[:, 0] = similarity
    x[:, 1] = ~o.has_targets[oj]
    french = p.french[pi].astype(np.float32)
    minimum = o.min_french[oj].astype(np.float32)
    known = (french >= 0) & (minimum >= 0)
    x[:, 2] = np.where(known, (french - minimum) / 6.0, 0.0)
    x[:, 3] = np.where(french >= 0, french / 6.0, 0.0)
    same_region = (p.region[pi] == o.region[oj]) & (p.region[pi] >= 0)
    x[:, 4] = p.dept[pi] == o.dept[oj]
    x[:, 5] = same_region
    x[:, 6] = ~same_region
    needs = p.needs_housing[pi] == 1
    offers = o.offers_housing[oj]
    x[:, 7] = needs & offers
    x[:, 8] = needs & ~offers
    diploma = p.diploma[pi]
    x[:, 9] = np.where(diploma >= 0, diploma / 8.0, 0.0)
    return x
