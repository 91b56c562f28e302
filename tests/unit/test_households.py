"""Households in programmes that house people: placed together (one département, one opening when it has
the seats) or not housed at all — in a batch, and when a decision window closes."""

from __future__ import annotations

from datetime import date

import numpy as np

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.households import HOUSEHOLD_NOTE, Pairs, households_of, keep_households_together
from shared.contract.events import Eligibility, MatchingProposal, Preferences, WindowMember
from shared.contract.topics import MATCHING_PROPOSAL, REFERRAL_WINDOW
from tests.factories import epide_opening, profile
from tests.unit.fakes.harness import NOW, MatchingHarness
from tests.unit.test_decision_windows import window_of

HOUSING = np.array([True, True, False])  # openings 0 and 1 house people, 2 does not
DEPT = np.array([10, 20, 10])


def _pairs(values: dict[tuple[int, int], float]) -> Pairs:
    people, openings = (np.array(side, dtype=np.int64) for side in zip(*values, strict=True))
    return Pairs.build(3, people, openings, np.array(list(values.values())))


def test_a_household_split_across_departements_is_brought_into_one_opening_that_has_the_seats() -> None:
    pairs = _pairs({(0, 0): 0.5, (0, 1): 0.9, (1, 0): 0.6, (1, 1): 0.7, (2, 2): 0.4})
    split = np.array([1, 0, 2])  # the household (0, 1) in housing openings of two départements

    repaired, together = keep_households_together([[0, 1]], split, pairs, np.array([2, 2, 1]), HOUSING, DEPT)

    assert repaired.tolist() == [1, 1, 2] and together == {0, 1}  # 0.9 + 0.7 beats 0.5 + 0.6


def test_a_household_that_cannot_be_housed_together_is_not_housed_at_all() -> None:
    pairs = _pairs({(0, 0): 0.5, (0, 2): 0.3, (1, 1): 0.7, (2, 2): 0.4})  # no opening or département fits both
    split = np.array([0, 1, -1])

    repaired, together = keep_households_together([[0, 1]], split, pairs, np.array([1, 1, 2]), HOUSING, DEPT)

    assert repaired.tolist() == [2, -1, -1] and together == set()  # the non-housing seat for one, none for the other
    untouched, _ = keep_households_together([[0, 2]], np.array([2, 1, 2]), pairs, np.array([1, 1, 2]), HOUSING, DEPT)
    assert untouched.tolist() == [2, 1, 2]  # nobody of that household housed: no rule applies
    assert households_of(["f1", None, "f1", "f2"]) == [[0, 2]]


def _family() -> tuple[list[object], list[object]]:
    near = epide_opening(programme="HOPE", department="67", seats=2, offers_housing=True, target_occupations=["K2204"],
                         eligibility=Eligibility(min_age=18), starts_on=date(2027, 3, 1))  # fmt: skip
    far = epide_opening(programme="Welcome Emploi", department="68", seats=1, offers_housing=True,
                        target_occupations=["G1602"], eligibility=Eligibility(min_age=18),
                        starts_on=date(2027, 3, 1))  # fmt: skip
    # The parent's trade is what the far one trains for; the other's trade fits neither.
    parent = profile(birth_date=date(1990, 1, 1), household_id="f-67-0001", occupations=["G1602"],
                     preferences=Preferences(programmes=["Welcome Emploi"]))  # fmt: skip
    other = profile(birth_date=date(1992, 1, 1), household_id="f-67-0001", occupations=["A1414"], skills=[])
    return [near, far], [parent, other]


def test_a_batch_houses_a_family_together_and_says_so() -> None:
    openings, family = _family()
    engine = MatchingEngine(openings)  # type: ignore[arg-type]
    alone = [p.model_copy(update={"household_id": None}) for p in family]  # type: ignore[attr-defined]

    apart = engine.assign_batch(alone)  # type: ignore[arg-type]
    result = engine.assign_batch(family)  # type: ignore[arg-type]

    assert len({o.department for o in apart.opening_of if o}) == 2  # on their own, one goes to 68
    assert {o.opening_id for o in result.opening_of if o} == {openings[0].opening_id}  # type: ignore[attr-defined]
    assert all(HOUSEHOLD_NOTE in reasons for reasons in result.reasons)


async def test_at_a_windows_close_a_family_held_apart_is_housed_together() -> None:
    h = MatchingHarness()
    openings, family = _family()
    for event in (*openings, *family):
        await h.consume(event)  # type: ignore[arg-type]
    first = {p.beneficiary_id: p.held for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal)}
    held = {first[p.beneficiary_id].opening_id for p in family}  # type: ignore[attr-defined, union-attr]
    assert len(held) == 2  # in real time, one by one: apart
    members = [WindowMember(referral_id=f"r-{p.beneficiary_id}", beneficiary_id=p.beneficiary_id,  # type: ignore[attr-defined]
                            opening_id=first[p.beneficiary_id].opening_id) for p in family]  # type: ignore[attr-defined, union-attr]  # fmt: skip

    await h.consume(window_of(*members), topic=REFERRAL_WINDOW.name)

    finals = [p for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.window is not None]
    assert {p.held.opening_id for p in finals if p.held} == {openings[0].opening_id}  # type: ignore[attr-defined]
    assert all(HOUSEHOLD_NOTE in next(r for r in p.ranked if r.opening_id == p.held.opening_id).reasons  # type: ignore[union-attr]
               for p in finals)  # fmt: skip
    assert await h.seats.available(openings[1].opening_id, NOW) == 1  # type: ignore[attr-defined]
