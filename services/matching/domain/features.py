"""The signals of a (newcomer, opening) pair that a success model's columns are computed from.

`FEATURES`, the first ten, are the pair features every model has (the prior's, the plain logistic's);
the other signals only enter a model through the columns it learned (`model_columns.py`): a product with
another signal ("housing offered, to someone who moves") or a hinge ("French two levels above the bar").
Only these; nationality, religion, ethnicity and gender are not in the profile at all, and age,
protection status and the RSA, which decide eligibility, are deliberately left out of the score (French
law forbids choosing among candidates by age; scoring people lower for being poor or for their status
would do the same by another road)."""

from __future__ import annotations

import numpy as np

from services.matching.domain.tables import OpeningTable, ProfileTable
from shared.contract.events.model import SIGNALS

F = 10
FEATURES = SIGNALS[:F]  # the pair features (the contract's vocabulary lists them first)
CONTEXT = SIGNALS[F:]  # facts of one side that mean something only together with the other side's


def pair_features(
    p: ProfileTable,
    pi: np.ndarray,
    o: OpeningTable,
    oj: np.ndarray,
    similarity: np.ndarray,
    exact: np.ndarray,
) -> np.ndarray:
    """Array (len(pi), F) of float32 for the pairs (pi[k], oj[k]); `similarity` is their occupation cosine,
    `exact` whether the person has practised one of the opening's target ROME codes."""
    return pair_signals(p, pi, o, oj, similarity, exact)[:, :F]


def pair_signals(
    p: ProfileTable,
    pi: np.ndarray,
    o: OpeningTable,
    oj: np.ndarray,
    similarity: np.ndarray,
    exact: np.ndarray,
) -> np.ndarray:
    """Array (len(pi), len(SIGNALS)) of float32: the pair features, then the context signals."""
    x = np.empty((len(pi), len(SIGNALS)), dtype=np.float32)
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
    x[:, 10] = needs
    x[:, 11] = offers
    mobility = p.mobility[pi]
    x[:, 12] = mobility == 1
    x[:, 13] = mobility == 2
    x[:, 14] = np.where(minimum >= 0, minimum / 6.0, 0.0)
    x[:, 15] = p.experienced[pi]
    x[:, 16] = exact
    return x
