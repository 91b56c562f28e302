"""Households: a family is placed as a case in programmes that house people (HOPE, Welcome Emploi…).

If any member of a household holds a seat in an opening that offers housing, every member is placed, all
in one département (in one opening, or several of that département) — or none of them is housed. An assignment
solved person by person is repaired household by household: among the one-opening, one-département and
no-housing options that fit the seats left, the one worth most is kept; only pairs of positive value are
used (at a window's close, values are net of each seat's potential)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HOUSEHOLD_NOTE = "placé avec son foyer, dans le même département (programme avec hébergement)"


@dataclass(frozen=True)
class Pairs:
    """Each person's candidate openings and their values, indexed by person (`build`)."""

    openings: np.ndarray
    values: np.ndarray
    starts: np.ndarray

    @classmethod
    def build(cls, n_people: int, people: np.ndarray, openings: np.ndarray, values: np.ndarray) -> Pairs:
        order = np.argsort(people, kind="stable")
        return cls(openings[order], values[order], np.searchsorted(people[order], np.arange(n_people + 1)))

    def of(self, person: int) -> tuple[np.ndarray, np.ndarray]:
        rows = slice(self.starts[person], self.starts[person + 1])
        return self.openings[rows], self.values[rows]


def households_of(household_ids: Sequence[str | None]) -> list[list[int]]:
    """People (indices) sharing a household id, for households of two or more."""
    members: dict[str, list[int]] = {}
    for person, household in enumerate(household_ids):
        if household:
            members.setdefault(household, []).append(person)
    return [group for group in members.values() if len(group) > 1]


def _housed_together(group: list[int], opening_of: np.ndarray, housing: np.ndarray, dept: np.ndarray) -> bool:
    places = opening_of[group]
    if not any(j >= 0 and housing[j] for j in places.tolist()):
        return True
    return bool((places >= 0).all() and len(set(dept[places].tolist())) == 1)


def keep_households_together(
    groups: list[list[int]],
    opening_of: np.ndarray,
    pairs: Pairs,
    seats: np.ndarray,
    housing: np.ndarray,
    dept: np.ndarray,
) -> tuple[np.ndarray, set[int]]:
    """The assignment repaired so that every household in `groups` is housed together or not housed;
    returns it and the people now placed with their household in housing."""
    chosen = opening_of.copy()
    left = seats.astype(np.int64) - np.bincount(chosen[chosen >= 0], minlength=len(seats))
    together: set[int] = set()
    for group in groups:
        if _housed_together(group, chosen, housing, dept):
            if any(j >= 0 and housing[j] for j in chosen[group].tolist()):
                together.update(group)
            continue
        for j in chosen[group].tolist():
            if j >= 0:
                left[j] += 1
        options = [_one_opening(group, pairs, left, housing), _one_department(group, pairs, left, housing, dept),
                   _not_housed(group, pairs, left, housing)]  # fmt: skip
        _, places = max((o for o in options if o is not None), key=lambda o: o[0])
        for person, j in zip(group, places, strict=True):
            chosen[person] = j
            if j >= 0:
                left[j] -= 1
        if any(j >= 0 and housing[j] for j in places):
            together.update(group)
    return chosen, together


def _one_opening(
    group: list[int], pairs: Pairs, left: np.ndarray, housing: np.ndarray
) -> tuple[float, list[int]] | None:
    best: tuple[float, list[int]] | None = None
    common: dict[int, float] | None = None
    for person in group:
        openings, values = pairs.of(person)
        mine = {int(j): float(v) for j, v in zip(openings, values, strict=True) if housing[j] and v > 0}
        common = mine if common is None else {j: common[j] + v for j, v in mine.items() if j in common}
    for j, value in (common or {}).items():
        if left[j] >= len(group) and (best is None or value > best[0]):
            best = (value, [j] * len(group))
    return best


def _one_department(
    group: list[int], pairs: Pairs, left: np.ndarray, housing: np.ndarray, dept: np.ndarray
) -> tuple[float, list[int]] | None:
    """Per département with housing for all: each member in turn takes its best opening there with a seat."""
    best: tuple[float, list[int]] | None = None
    reachable = {int(dept[j]) for person in group for j in pairs.of(person)[0].tolist() if housing[j]}
    for d in sorted(reachable):
        seats = left.copy()
        value, places = 0.0, []
        for person in group:
            openings, values = pairs.of(person)
            here = [(float(v), int(j)) for j, v in zip(openings, values, strict=True)
                    if dept[j] == d and seats[j] > 0 and v > 0]  # fmt: skip
            if not here:
                break
            v, j = max(here)
            seats[j] -= 1
            value += v
            places.append(j)
        else:
            if any(housing[j] for j in places) and (best is None or value > best[0]):
                best = (value, places)
    return best


def _not_housed(group: list[int], pairs: Pairs, left: np.ndarray, housing: np.ndarray) -> tuple[float, list[int]]:
    """Nobody housed: each member its best opening without housing that has a seat and is worth it (a
    positive value: at a window's close, values are net of the seats' potentials), or none."""
    seats = left.copy()
    value, places = 0.0, []
    for person in group:
        openings, values = pairs.of(person)
        here = [(float(v), int(j)) for j, v in zip(openings, values, strict=True)
                if not housing[j] and seats[j] > 0 and v > 0]  # fmt: skip
        if here:
            v, j = max(here)
            seats[j] -= 1
            value += v
            places.append(j)
        else:
            places.append(-1)
    return value, places
