"""Legal delays (RSA orientation within 6 weeks, a SPIE appointment within 30 days): the deadline and its
urgency, a newcomer near it assigned first (batch and at a window's close, even arriving after the seat was
held), the date shown to the partner, and a window that never waits past it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.tables import OpeningTable, ProfileTable
from services.matching.domain.urgency import urgency
from services.referrals.domain.decision_window import DecisionWindows
from services.referrals.domain.referral import candidate_summary
from services.referrals.service_layer.commands import CreateOpening, RecordSigning
from services.referrals.service_layer.decision_windows import apply_window_decision
from shared.contract.events import DecisionWindowClosed, Eligibility, MatchingProposal, WindowDecision, WindowMember
from shared.contract.legal_delays import legal_deadline
from shared.contract.topics import MATCHING_PROPOSAL, REFERRAL_WINDOW
from shared.contract.vocabulary import ReferralStatus
from tests.factories import epide_opening, profile
from tests.unit.fakes.harness import NOW, MatchingHarness, ReferralsHarness
from tests.unit.test_referrals_use_cases import TODAY, proposal_for, signing

APPLIED = date(2026, 11, 1)


def test_the_deadline_runs_six_weeks_from_the_rsa_application_thirty_days_for_an_rsa_only_opening() -> None:
    orientation, spie = legal_deadline(APPLIED), legal_deadline(APPLIED, rsa_only_opening=True)
    assert orientation is not None and spie is not None and legal_deadline(None) is None
    assert orientation.due_on == date(2026, 12, 13) and spie.due_on == date(2026, 12, 1)
    assert orientation.rule.startswith("orientation sous 6 semaines")
    # The urgency matching scores with: 0 on the application day, 1 on the deadline and after.
    people = ProfileTable.build([profile(rsa_applicant=True, rsa_applied_on=APPLIED), profile()])
    openings = OpeningTable.build(
        [epide_opening(), epide_opening(eligibility=Eligibility(rsa_applicant_required=True))]
    )
    pi, oj = np.array([0, 0, 1]), np.array([0, 1, 0])
    by_day = {d: urgency(people, pi, openings, oj, APPLIED + timedelta(days=d)) for d in (0, 15, 21, 42, 60)}
    expected = {0: [0, 0, 0], 15: [15 / 42, 0.5, 0], 21: [0.5, 0.7, 0], 42: [1, 1, 0], 60: [1, 1, 0]}
    assert all(np.allclose(by_day[d], expected[d]) for d in expected), by_day


def test_a_date_of_application_makes_an_applicant_and_contradicting_it_names_the_field() -> None:
    assert profile(rsa_applicant=None, rsa_applied_on=APPLIED).rsa_applicant is True
    with pytest.raises(ValidationError) as error:
        profile(rsa_applicant=False, rsa_applied_on=APPLIED)
    assert error.value.errors()[0]["loc"] == ("rsa_applied_on",)


def _one_seat_two_people() -> tuple[list[object], object, object]:
    opening = epide_opening(seats=1, starts_on=date(2027, 2, 1))
    fluent = profile(french_level="B2")  # the better predicted fit, no deadline
    urgent = profile(french_level="A2", rsa_applicant=True, rsa_applied_on=date(2026, 10, 25))  # 5 days left
    return [opening], fluent, urgent


def test_under_a_scarce_seat_the_newcomer_near_the_deadline_is_assigned_first() -> None:
    openings, fluent, urgent = _one_seat_two_people()
    engine = MatchingEngine(openings, today=lambda: date(2026, 12, 1))  # type: ignore[arg-type]
    without = urgent.model_copy(update={"rsa_applied_on": None})  # type: ignore[attr-defined]

    control = engine.assign_batch([fluent, without])  # type: ignore[list-item]
    result = engine.assign_batch([fluent, urgent])  # type: ignore[list-item]

    assert [o is not None for o in control.opening_of] == [True, False]  # the better fit wins without a deadline
    assert [o is not None for o in result.opening_of] == [False, True]
    assert any(r.startswith("à orienter avant le 06/12/2026") for r in result.reasons[1])


async def test_a_window_gives_the_seat_to_a_newcomer_near_the_deadline_who_arrived_after_it_was_held() -> None:
    h = MatchingHarness()
    [opening], fluent, urgent = _one_seat_two_people()
    await h.consume(opening)  # type: ignore[arg-type]
    await h.consume(fluent)  # type: ignore[arg-type]
    h.clock.at = NOW + timedelta(hours=1)
    await h.consume(urgent)  # type: ignore[arg-type]
    first = {p.beneficiary_id: p.held for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal)}
    assert first[fluent.beneficiary_id] is not None and first[urgent.beneficiary_id] is None  # type: ignore[attr-defined]
    member = WindowMember(referral_id="r-fluent", beneficiary_id=fluent.beneficiary_id, opening_id=opening.opening_id)  # type: ignore[attr-defined]
    h.clock.at = NOW + timedelta(hours=3)
    window = DecisionWindowClosed(window_id="2026-12-01T12:00+01:00", closed_at=h.clock.at, members=[member])

    await h.consume(window, topic=REFERRAL_WINDOW.name)

    finals = {p.beneficiary_id: p for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.window}
    assert finals[fluent.beneficiary_id].held is None  # type: ignore[attr-defined]
    given = finals[urgent.beneficiary_id]  # type: ignore[attr-defined]
    assert given.held is not None and given.held.opening_id == opening.opening_id  # type: ignore[attr-defined]
    assert given.window is not None and given.window.referral_id is None
    assert await h.seats.available(opening.opening_id, h.clock.at) == 0  # type: ignore[attr-defined]


async def test_a_window_leaves_the_seat_where_it_is_when_the_late_arrival_has_no_deadline() -> None:
    h = MatchingHarness()
    [opening], fluent, urgent = _one_seat_two_people()
    calm = urgent.model_copy(update={"rsa_applied_on": None, "rsa_applicant": False})  # type: ignore[attr-defined]
    for event in (opening, fluent, calm):
        await h.consume(event)  # type: ignore[arg-type]
    member = WindowMember(referral_id="r-fluent", beneficiary_id=fluent.beneficiary_id, opening_id=opening.opening_id)  # type: ignore[attr-defined]
    window = DecisionWindowClosed(window_id="2026-12-01T12:00+01:00", closed_at=NOW + timedelta(hours=3),
                                  members=[member])  # fmt: skip

    await h.consume(window, topic=REFERRAL_WINDOW.name)

    finals = {p.beneficiary_id: p for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.window}
    assert set(finals) == {fluent.beneficiary_id}  # type: ignore[attr-defined]
    assert finals[fluent.beneficiary_id].held is not None  # type: ignore[attr-defined]


async def test_a_seat_given_at_the_close_becomes_a_referral_sent_with_its_legal_deadline() -> None:
    h = ReferralsHarness()
    spie = epide_opening(programme="SPIE", partner_id="spie-67", starts_on=TODAY + timedelta(days=60),
                         eligibility=Eligibility(rsa_applicant_required=True))  # fmt: skip
    await h.bus.handle(CreateOpening(spie))
    s = signing(rsa_applicant=True, rsa_applied_on=date(2026, 11, 20))
    await h.bus.handle(RecordSigning(s, "auditor:ana", NOW))
    given = proposal_for(s, spie).model_copy(update={"window": WindowDecision(window_id="2026-12-01T12:00+01:00")})

    view = await apply_window_decision(given, h.lifecycle, h.records, h.views, h.publishers, h.clock)

    assert view is not None and view.status is ReferralStatus.SENT
    assert view.candidate.orient_by == date(2026, 12, 20)  # a SPIE appointment within 30 days
    assert "place attribuée à la clôture" in (view.history[0].note or "")
    assert [v.referral_id for v in await h.views.of_partner("spie-67")] == [view.referral_id]


def test_the_partner_sees_the_orientation_deadline_and_a_window_never_waits_past_it() -> None:
    person = profile(rsa_applicant=True, rsa_applied_on=date(2026, 11, 1))
    assert candidate_summary(person, TODAY).orient_by == date(2026, 12, 13)
    assert candidate_summary(profile(), TODAY).orient_by is None

    daily = DecisionWindows(minutes=1440, offset_minutes=17 * 60)
    morning = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    opening = epide_opening(starts_on=date(2027, 3, 1))
    assert daily.send_by(morning, opening, 7) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # today's close
    assert daily.send_by(morning, opening, 7, orient_by=date(2026, 12, 13)) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert daily.send_by(morning, opening, 7, orient_by=date(2026, 12, 8)) is None  # 7 days to answer: sent now
