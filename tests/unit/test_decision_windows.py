"""Decision windows: a referral waits, proposed, for its window; the window goes to matching, which
re-solves its provisional holds together; its final word sends the referral, or moves it first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.referrals.domain.decision_window import DecisionWindows
from services.referrals.service_layer.commands import CloseDecisionWindows, CreateOpening, RecordSigning
from shared.contract.events import (
    DecisionWindowClosed,
    MatchingProposal,
    Preferences,
    ReferralEvent,
    WindowDecision,
    WindowMember,
)
from shared.contract.topics import MATCHING_PROPOSAL, REFERRAL_EVENT, REFERRAL_WINDOW
from shared.contract.vocabulary import ReferralStatus
from tests.factories import epide_opening, profile
from tests.unit.fakes.harness import NOW, MatchingHarness, ReferralsHarness
from tests.unit.test_referrals_use_cases import TODAY, proposal_for, signing

WINDOWS = DecisionWindows(minutes=240)  # closes at 00:00, 04:00, 08:00… in Paris; NOW is 10:00 there
CLOSES = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Paris


def test_windows_close_on_paris_time_even_across_the_change_to_summer_time() -> None:
    daily = DecisionWindows(minutes=1440, offset_minutes=17 * 60)
    assert daily.closes_after(datetime(2026, 12, 3, 8, 0, tzinfo=UTC)) == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    assert daily.closes_after(datetime(2026, 12, 3, 16, 0, tzinfo=UTC)) == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert daily.closes_after(datetime(2027, 3, 28, 9, 0, tzinfo=UTC)) == datetime(2027, 3, 28, 15, 0, tzinfo=UTC)
    assert WINDOWS.closes_after(NOW) == CLOSES and WINDOWS.window_id(CLOSES) == "2026-12-01T12:00+01:00"
    assert DecisionWindows().send_by(NOW, None, 7) is None  # no window: sent at once


async def windowed(h: ReferralsHarness, **opening: object) -> tuple[object, object, str]:
    h.lifecycle.windows = WINDOWS
    first = epide_opening(starts_on=TODAY + timedelta(days=60), **opening)  # type: ignore[arg-type]
    await h.bus.handle(CreateOpening(first))
    s = signing()
    await h.bus.handle(RecordSigning(s, "auditor:ana", NOW))
    await h.consume(proposal_for(s, first))
    [view] = await h.views.of_beneficiary(s.beneficiary_id)
    return s, first, view.referral_id


def final(s: object, proposal: MatchingProposal, referral_id: str, previous: str) -> MatchingProposal:
    decision = WindowDecision(window_id="2026-12-01T12:00+01:00", referral_id=referral_id, previous_opening_id=previous)
    return proposal.model_copy(update={"proposal_id": f"w-{referral_id}", "window": decision})


async def test_a_proposed_referral_waits_for_its_window_unseen_by_the_partner_then_goes_to_matching() -> None:
    h = ReferralsHarness()
    _, _opening, rid = await windowed(h)

    view = await h.views.get(rid)
    assert view is not None and view.status is ReferralStatus.PROPOSED
    assert view.send_by == CLOSES and view.respond_by is None  # no deadline runs while it waits
    assert await h.views.of_partner("epide") == [] and h.mail.events == []
    assert await h.bus.handle(CloseDecisionWindows(CLOSES - timedelta(minutes=1))) == []

    [window] = await h.bus.handle(CloseDecisionWindows(CLOSES))
    assert window.window_id == "2026-12-01T12:00+01:00"
    assert [m.referral_id for m in window.members] == [rid]
    assert await h.bus.handle(CloseDecisionWindows(CLOSES + timedelta(minutes=5))) == []  # handed over once
    assert len(h.events(REFERRAL_WINDOW.name, DecisionWindowClosed)) == 1


async def test_a_window_never_delays_a_referral_past_its_openings_deadline() -> None:
    h = ReferralsHarness()
    h.lifecycle.windows = DecisionWindows(minutes=1440, offset_minutes=17 * 60)
    soon = epide_opening(starts_on=TODAY + timedelta(days=7), response_days=7)  # the partner needs all 7 days
    await h.bus.handle(CreateOpening(soon))
    s = signing()
    await h.bus.handle(RecordSigning(s, "auditor:ana", NOW))
    await h.consume(proposal_for(s, soon))

    [view] = await h.views.of_beneficiary(s.beneficiary_id)
    assert view.status is ReferralStatus.SENT and view.send_by is None


async def test_the_windows_final_word_sends_the_referral_where_it_is() -> None:
    h = ReferralsHarness()
    s, opening, rid = await windowed(h, response_days=10)
    await h.bus.handle(CloseDecisionWindows(CLOSES))
    h.clock.at = CLOSES + timedelta(seconds=3)
    await h.deliver(REFERRAL_EVENT.name)
    assert h.mail.events == []  # nothing to e-mail while it waits

    await h.consume(final(s, proposal_for(s, opening), rid, opening.opening_id))  # type: ignore[arg-type,attr-defined]

    await h.deliver(REFERRAL_EVENT.name)  # referrals e-mails the partner from its own events
    view = await h.views.get(rid)
    assert view is not None and view.status is ReferralStatus.SENT
    assert view.respond_by == h.clock.at + timedelta(days=10)  # the partner's time runs from now
    assert [v.referral_id for v in await h.views.of_partner("epide")] == [rid]
    assert [(m.referral_id, m.status) for m in h.mail.events] == [(rid, ReferralStatus.SENT)]


async def test_a_move_at_the_close_sends_the_better_opening_and_the_first_partner_never_hears_of_it() -> None:
    h = ReferralsHarness()
    s, first, rid = await windowed(h, partner_id="afpa", programme="HOPE")
    better = epide_opening(starts_on=TODAY + timedelta(days=60))
    await h.bus.handle(CreateOpening(better))
    await h.bus.handle(CloseDecisionWindows(CLOSES))

    await h.consume(final(s, proposal_for(s, better), rid, first.opening_id))  # type: ignore[attr-defined]

    views = {v.opening_id: v for v in await h.views.of_beneficiary(s.beneficiary_id)}  # type: ignore[attr-defined]
    moved_from, moved_to = views[first.opening_id], views[better.opening_id]  # type: ignore[attr-defined]
    assert moved_from.status is ReferralStatus.WITHDRAWN and f"déplacée vers {better.opening_id}" in (
        moved_from.history[-1].note or ""
    )
    assert moved_to.status is ReferralStatus.SENT and first.opening_id in (moved_to.history[0].note or "")  # type: ignore[attr-defined]
    assert await h.views.of_partner("afpa") == []  # never sent: not in its inbox, not even as withdrawn
    assert [v.referral_id for v in await h.views.of_partner("epide")] == [moved_to.referral_id]
    await h.deliver(REFERRAL_EVENT.name)
    assert [m.partner_id for m in h.mail.events] == ["epide"]
    await h.consume(final(s, proposal_for(s, better), rid, first.opening_id))  # type: ignore[attr-defined]
    assert len(h.events(REFERRAL_EVENT.name, ReferralEvent)) == 3  # proposed, created sent, withdrawn: no more


async def test_no_seat_left_at_the_close_withdraws_the_provisional_referral() -> None:
    h = ReferralsHarness()
    s, opening, rid = await windowed(h)

    await h.consume(final(s, proposal_for(s, opening, held=False), rid, opening.opening_id))  # type: ignore[arg-type,attr-defined]

    view = await h.views.get(rid)
    assert view is not None and view.status is ReferralStatus.WITHDRAWN and await h.views.of_partner("epide") == []


# -- matching's side ---------------------------------------------------------------------------------


async def provisional(h: MatchingHarness, opening_id: str, preferred: str) -> tuple[object, WindowMember]:
    person = profile(birth_date=date(2005, 3, 14), preferences=Preferences(programmes=[preferred]))
    await h.consume(person)
    [proposal] = [
        p for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.beneficiary_id == person.beneficiary_id
    ]
    assert proposal.held is not None and proposal.held.opening_id == opening_id
    member = WindowMember(referral_id=f"r-{person.beneficiary_id}", beneficiary_id=person.beneficiary_id,
                          opening_id=opening_id)  # fmt: skip
    return person, member


def window_of(*members: WindowMember) -> DecisionWindowClosed:
    return DecisionWindowClosed(window_id="2026-12-01T12:00+01:00", closed_at=NOW, members=list(members))


async def test_matching_moves_a_provisional_hold_to_the_better_opening_freed_since_and_answers_a_redelivery_alike() -> (
    None
):
    h = MatchingHarness()
    worse = epide_opening(programme="Epide", seats=1)
    better = epide_opening(programme="Epide Plus", seats=0)  # full when the newcomer arrived
    for opening in (worse, better):
        await h.consume(opening)
    _person, member = await provisional(h, worse.opening_id, preferred="Epide Plus")
    await h.consume(better.model_copy(update={"seats": 1}))  # a seat opened on the better one

    for _ in range(2):  # the window, then the same window again (under another ce_id here)
        await h.consume(window_of(member), topic=REFERRAL_WINDOW.name)

    finals = [p for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.window is not None]
    assert [(p.held.opening_id if p.held else None) for p in finals] == [better.opening_id] * 2
    assert finals[0].proposal_id == finals[1].proposal_id and finals[0].window.previous_opening_id == worse.opening_id  # type: ignore[union-attr]
    assert better.opening_id in [r.opening_id for r in finals[0].ranked]
    assert await h.seats.available(worse.opening_id, NOW) == 1  # the provisional seat went back
    assert await h.seats.available(better.opening_id, NOW) == 0


async def test_matching_keeps_a_provisional_hold_when_the_better_opening_stays_full() -> None:
    h = MatchingHarness()
    worse = epide_opening(programme="Epide", seats=1)
    better = epide_opening(programme="Epide Plus", seats=0)
    for opening in (worse, better):
        await h.consume(opening)
    _person, member = await provisional(h, worse.opening_id, preferred="Epide Plus")

    await h.consume(window_of(member), topic=REFERRAL_WINDOW.name)

    [final_word] = [p for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.window is not None]
    assert final_word.held is not None and final_word.held.opening_id == worse.opening_id
    assert await h.seats.available(worse.opening_id, NOW) == 0
