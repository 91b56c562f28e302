"""Nobody left waiting: a newcomer nothing fits waits in matching's room, and is proposed what opens later
(a new opening, more seats, a seat released, or the sweep that catches what an event missed), the best
value first, never two seats at once (issue 32, item 1). Through matching's own wiring (the harness)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from services.matching.service_layer.commands import OfferSeatsToTheWaiting
from shared.contract.events import BeneficiaryProfile, Eligibility, MatchingProposal, ProgrammeOpening, ReferralEvent
from shared.contract.topics import MATCHING_PROPOSAL
from shared.contract.vocabulary import DeclineReason, ReferralStatus
from tests.factories import epide_opening, profile
from tests.unit.fakes.harness import NOW, MatchingHarness
from tests.unit.test_matching_use_cases import event  # the referral events matching reads

pytestmark = pytest.mark.unit
FORTY_FIVE = date(1981, 5, 2)  # too old for Epide (17 to 25)


def paris_pool(seats: int, **fields: object) -> ProgrammeOpening:
    """An opening a 45-year-old in Paris fits (no age ceiling, in his département)."""
    values: dict[str, object] = {
        "programme": "Vivier France Travail", "partner_id": "france-travail-75", "department": "75",
        "seats": seats, "eligibility": Eligibility(min_age=16, departments=["75"]),
    }  # fmt: skip
    values.update(fields)
    return epide_opening(**values)


def newcomer(**fields: object) -> BeneficiaryProfile:
    values: dict[str, object] = {"birth_date": FORTY_FIVE, "department": "75", "mobility": "none"}
    values.update(fields)
    return profile(**values)


def proposals_for(h: MatchingHarness, person: BeneficiaryProfile) -> list[MatchingProposal]:
    return [p for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.beneficiary_id == person.beneficiary_id]


def seats_of(h: MatchingHarness, person: BeneficiaryProfile) -> list[str]:
    held = [o for o, holders in h.seats.holds.items() if person.beneficiary_id in holders]
    return held + [o for o, holders in h.seats.confirmed.items() if person.beneficiary_id in holders]


async def test_a_newcomer_nothing_fits_waits_and_is_proposed_the_opening_published_later() -> None:
    h = MatchingHarness()
    await h.consume(epide_opening(department="75"))
    person = newcomer()
    await h.consume(person)
    [first] = proposals_for(h, person)
    assert first.held is None and first.waiting_since == NOW
    assert await h.waiting.since(person.beneficiary_id) == NOW

    h.clock.at = NOW + timedelta(days=3)
    opening = paris_pool(seats=2)
    await h.consume(opening)

    [_, offered] = proposals_for(h, person)
    assert offered.held is not None and offered.held.opening_id == opening.opening_id
    assert offered.waiting_since is None
    assert await h.waiting.since(person.beneficiary_id) is None
    assert seats_of(h, person) == [opening.opening_id]


async def test_an_amended_profile_keeps_the_wait_it_started_with() -> None:
    h = MatchingHarness()
    person = newcomer()
    await h.consume(person)
    h.clock.at = NOW + timedelta(days=5)
    await h.consume(BeneficiaryProfile.model_validate({**person.model_dump(), "version": 2, "french_level": "B1"}))
    assert proposals_for(h, person)[-1].waiting_since == NOW


async def test_the_seats_go_to_the_best_valued_not_to_the_first_arrived() -> None:
    h = MatchingHarness()
    # The most fluent in French are likeliest to succeed (the prior): value, not the order of arrival.
    people = [newcomer(french_level=level) for level in ("none", "A1", "B2", "A2")]
    for person in people:
        await h.consume(person)
        h.clock.at += timedelta(minutes=1)
    opening = paris_pool(seats=2)
    await h.consume(opening)

    engine = await h.live.current()
    values = {p.beneficiary_id: engine.candidates(p)[0].value for p in people}
    best_two = sorted(values, key=lambda b: -values[b])[:2]
    given = {p.beneficiary_id for p in people if seats_of(h, p)}
    assert given == set(best_two)
    assert len(set(values.values())) == len(people), "the values must differ for the order to mean something"
    assert {b for b in values if b not in given} == set(h.waiting.waiting)


async def test_two_openings_published_together_never_hold_two_seats_for_one_person() -> None:
    h = MatchingHarness()
    people = [newcomer() for _ in range(6)]
    for person in people:
        await h.consume(person)
    first, second = paris_pool(seats=4), paris_pool(seats=4, programme="Formation ferrailleur")
    for opening in (first, second):  # known to matching, then offered side by side as two consumers would
        await h.openings.upsert(opening)
        await h.seats.set_capacity(opening.opening_id, opening.seats)
    demand = h.demand
    given = await asyncio.gather(demand.offer([first.opening_id], "a"), demand.offer([second.opening_id], "b"))

    assert sum(given) == 6
    assert all(len(seats_of(h, p)) == 1 for p in people)
    assert all(len([p for p in proposals_for(h, person) if p.held]) == 1 for person in people)
    assert h.waiting.waiting == {}


async def test_a_seat_released_by_a_decline_goes_to_someone_waiting() -> None:
    h = MatchingHarness()
    opening = paris_pool(seats=1)
    await h.consume(opening)
    placed, waiting = newcomer(), newcomer()
    await h.consume(placed)
    await h.consume(waiting)
    assert seats_of(h, placed) == [opening.opening_id] and seats_of(h, waiting) == []
    await h.consume(event(placed, opening, ReferralStatus.SENT, 1, actor="matching"))

    await h.consume(decline(placed, opening))

    assert seats_of(h, waiting) == [opening.opening_id]
    assert await h.waiting.since(waiting.beneficiary_id) is None
    assert await h.waiting.since(placed.beneficiary_id) is not None  # the one who declined waits now


async def test_the_sweep_offers_what_an_event_missed_and_a_referral_by_hand_ends_the_wait() -> None:
    h = MatchingHarness()
    missed, by_hand = newcomer(), newcomer()
    for person in (missed, by_hand):
        await h.consume(person)
    opening = paris_pool(seats=1, department="75")
    await h.openings.upsert(opening)  # as if the opening's event had been handled before they waited
    await h.seats.set_capacity(opening.opening_id, opening.seats)
    other = paris_pool(seats=1)
    await h.consume(event(by_hand, other, ReferralStatus.SENT, 1, actor="auditor:ana"))
    assert await h.waiting.since(by_hand.beneficiary_id) is None

    assert await h.bus.handle(OfferSeatsToTheWaiting(h.clock())) == 1
    assert seats_of(h, missed) == [opening.opening_id]


def decline(person: BeneficiaryProfile, opening: ProgrammeOpening) -> ReferralEvent:
    return event(person, opening, ReferralStatus.DECLINED, 2, actor="partner:france-travail-75",
                    decline_reason=DeclineReason.OUT_OF_AREA)  # fmt: skip


async def test_an_amended_profile_keeps_the_opening_the_person_chose_while_it_still_fits() -> None:
    h = MatchingHarness()
    chosen, better = paris_pool(seats=3), paris_pool(seats=3, programme="Formation ferrailleur")
    person = newcomer(french_level="A1")
    await h.consume(chosen)
    await h.consume(person)
    await h.consume(event(person, chosen, ReferralStatus.SENT, 1, actor="auditor:ana"))  # the person's choice
    await h.consume(better)

    await h.consume(BeneficiaryProfile.model_validate({**person.model_dump(), "version": 2, "french_level": "B2"}))

    amended = proposals_for(h, person)[-1]
    assert amended.profile_version == 2 and amended.held is None and amended.waiting_since is None
    assert chosen.opening_id in {r.opening_id for r in amended.ranked}  # still fits: referrals keeps it
    # Once that referral ends, the next amendment is matched as any other.
    await h.consume(event(person, chosen, ReferralStatus.WITHDRAWN, 2, actor="auditor:ana"))
    await h.consume(BeneficiaryProfile.model_validate({**person.model_dump(), "version": 3, "french_level": "C1"}))
    assert proposals_for(h, person)[-1].held is not None
