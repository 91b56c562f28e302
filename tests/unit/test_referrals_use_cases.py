"""Referrals' use cases through its own wiring (projection table, projecting publishers, consumed-topic
routes) over in-memory fakes: what each decides, what it publishes, and what its projections keep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.referrals.domain.decision_window import DecisionWindows
from services.referrals.domain.errors import Conflict
from services.referrals.domain.lifecycle import IllegalTransition, NotBeforeStart
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.service_layer.commands import (
    AmendProfile,
    ChangeStatus,
    ChooseInstead,
    CloseDecisionWindows,
    CreateOpening,
    ExportPersonalData,
    RecordOutcome,
    RecordSigning,
    ReferByHand,
    Subscribe,
    SweepDeadlines,
)
from services.referrals.service_layer.projections import profile_marker
from shared.contract.events import (
    BeneficiaryProfile,
    HeldSeat,
    MatchingProposal,
    PoolFilters,
    ProgrammeOpening,
    RankedOpening,
    ReferralEvent,
)
from shared.contract.events.credential import CredentialChange
from shared.contract.events.proposal import SUCCESS_ESTIMATE
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRALS_CREDENTIAL,
    REFERRALS_SIGNING,
)
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralEventKind, ReferralStatus
from shared.messaging.consuming import PoisonMessage
from shared.messaging.projections import ProjectingPublisher
from tests.factories import epide_opening, signing_body
from tests.unit.fakes.harness import NOW, ReferralsHarness

TODAY = NOW.date()


def signing(**overrides: object) -> CirSigningCreate:
    return CirSigningCreate.model_validate(signing_body(**overrides))


async def record(h: ReferralsHarness, s: CirSigningCreate) -> bool:
    return await h.bus.handle(RecordSigning(s, "auditor:ana", NOW))


def proposal_for(
    s: CirSigningCreate, opening: ProgrammeOpening, version: int = 1, held: bool = True
) -> MatchingProposal:
    ranked = RankedOpening(opening_id=opening.opening_id, partner_id=opening.partner_id, programme=opening.programme,
                           score=0.7, reasons=["âge et niveau de français adaptés"])  # fmt: skip
    return MatchingProposal(
        proposal_id=f"p-{s.beneficiary_id}-{version}", beneficiary_id=s.beneficiary_id, ranked=[ranked],
        held=HeldSeat(opening_id=opening.opening_id, expires_at=NOW + timedelta(days=7)) if held else None,
        profile_event_id=f"e-{s.beneficiary_id}-{version}", ruleset_version="test", decided_at=NOW,
        profile_version=version,
    )  # fmt: skip


async def referred(h: ReferralsHarness, opening: ProgrammeOpening | None = None) -> tuple[CirSigningCreate, str]:
    """A newcomer signed, an opening exists, matching's proposal came back: one referral, proposed."""
    opening = opening or epide_opening(starts_on=TODAY + timedelta(days=30))
    await h.bus.handle(CreateOpening(opening))
    s = signing()
    await record(h, s)
    await h.consume(proposal_for(s, opening))
    [view] = await h.views.of_beneficiary(s.beneficiary_id)
    return s, view.referral_id


async def test_a_signing_is_logged_then_kept_and_its_profile_published_once() -> None:
    h = ReferralsHarness()
    s = signing()

    assert await record(h, s) is True
    assert await record(h, s) is False  # the same signing again: nothing new

    [kept] = await h.logged_signings()
    assert kept is not None and kept.signing == s and [v.version for v in kept.history] == [1]
    [profile] = h.events(BENEFICIARY_PROFILE.name, BeneficiaryProfile)
    assert profile.beneficiary_id == s.beneficiary_id and not hasattr(profile, "contact")
    assert await h.records.get_signing(s.beneficiary_id) == s  # the projection kept it
    assert await h.records.was_published(profile_marker(s.beneficiary_id, 1))


async def test_another_signing_for_the_same_newcomer_is_refused_and_changes_nothing() -> None:
    h = ReferralsHarness()
    s = signing()
    await record(h, s)
    before = h.state()

    with pytest.raises(Conflict):
        await record(h, CirSigningCreate.model_validate(s.model_dump() | {"french_level": "B1"}))

    assert h.state() == before and len(h.log.events(REFERRALS_SIGNING.name)) == 1


async def test_an_amended_profile_is_version_two_with_a_stable_event_id_and_the_same_facts_change_nothing() -> None:
    h = ReferralsHarness()
    s = signing()
    await record(h, s)
    amended = CirSigningCreate.model_validate(s.model_dump() | {"french_level": "B1"})

    version = await h.bus.handle(AmendProfile(amended, "auditor:x", NOW))
    again = await h.bus.handle(AmendProfile(amended, "auditor:x", NOW))

    assert version == again == 2
    records = [r for r in await h.logged_signings() if r is not None]
    assert [len(r.history) for r in records] == [1, 2] and records[-1].history[-1].changed == ["french_level"]
    profiles = h.log.events(BENEFICIARY_PROFILE.name)
    assert len(profiles) == 2
    assert BeneficiaryProfile.model_validate_json(profiles[-1].value or b"").version == 2
    assert (await h.records.get_signing(s.beneficiary_id)).french_level == "B1"  # type: ignore[union-attr]


async def test_a_proposal_becomes_one_referral_however_often_it_is_delivered() -> None:
    h = ReferralsHarness()
    opening = epide_opening(response_days=10)
    await h.bus.handle(CreateOpening(opening))
    s = signing()
    await record(h, s)
    proposal = proposal_for(s, opening)

    await h.consume(proposal)
    await h.consume(proposal)
    view = await h.views.get(h.events(REFERRAL_EVENT.name, ReferralEvent)[0].referral_id)
    await h.deliver(REFERRAL_EVENT.name)  # referrals consumes its own referral events back

    [event] = h.events(REFERRAL_EVENT.name, ReferralEvent)  # no decision window here: created sent
    assert event.status is ReferralStatus.SENT and event.respond_by == NOW + timedelta(days=10)
    assert event.candidate.age_band and "Diallo" not in event.model_dump_json()
    assert await h.records.latest_proposal(s.beneficiary_id) == proposal
    assert await h.views.get(event.referral_id) == view  # projected again: unchanged
    assert [(m.referral_id, m.status) for m in h.mail.events] == [(event.referral_id, ReferralStatus.SENT)]  # e-mailed


async def test_a_proposal_without_a_seat_is_kept_and_one_for_a_stranger_is_poison() -> None:
    h = ReferralsHarness()
    opening = epide_opening()
    s = signing()
    await record(h, s)

    await h.consume(proposal_for(s, opening, held=False))
    with pytest.raises(PoisonMessage, match="unknown beneficiary"):
        await h.consume(proposal_for(signing(), opening))

    assert h.log.events(REFERRAL_EVENT.name) == []
    assert (await h.records.latest_proposal(s.beneficiary_id)).held is None  # type: ignore[union-attr]


async def test_declined_as_not_eligible_flags_the_rule_and_no_capacity_closes_the_opening() -> None:
    h = ReferralsHarness()
    opening = epide_opening(seats=5, starts_on=TODAY + timedelta(days=30))
    _, first = await referred(h, opening)
    second_signing = signing()
    await record(h, second_signing)
    await h.consume(proposal_for(second_signing, opening))
    [second] = await h.views.of_beneficiary(second_signing.beneficiary_id)

    await h.bus.handle(ChangeStatus(first, ReferralStatus.DECLINED, "partner:epide",
                                    decline_reason=DeclineReason.NOT_ELIGIBLE, note="trop âgé"))  # fmt: skip
    await h.bus.handle(ChangeStatus(second.referral_id, ReferralStatus.DECLINED, "partner:epide",
                                    decline_reason=DeclineReason.NO_CAPACITY))  # fmt: skip

    assert [f["note"] for f in await h.flags.of_opening(opening.opening_id)] == ["trop âgé"]
    closed = h.events(PROGRAMME_OPENING.name, ProgrammeOpening)[-1]
    assert closed.opening_id == opening.opening_id and closed.seats == 0  # nobody else holds a seat on it
    assert (await h.records.get_opening(opening.opening_id)).seats == 0  # type: ignore[union-attr]


async def test_the_lifecycle_refuses_what_it_must_and_records_one_outcome() -> None:
    h = ReferralsHarness()
    opening = epide_opening(starts_on=TODAY + timedelta(days=30))
    _, rid = await referred(h, opening)

    with pytest.raises(IllegalTransition):
        await h.bus.handle(ChangeStatus(rid, ReferralStatus.COMPLETED, "partner:epide"))
    await h.bus.handle(ChangeStatus(rid, ReferralStatus.ACCEPTED, "partner:epide"))
    with pytest.raises(NotBeforeStart):
        await h.bus.handle(ChangeStatus(rid, ReferralStatus.ENROLLED, "partner:epide"))
    early = await h.bus.handle(ChangeStatus(rid, ReferralStatus.ENROLLED, "partner:epide", started_early=True,
                                            note="session avancée"))  # fmt: skip
    await h.bus.handle(ChangeStatus(rid, ReferralStatus.COMPLETED, "partner:epide"))
    done = await h.bus.handle(RecordOutcome(rid, OutcomeAtThreeMonths.EMPLOYED, "partner:epide"))
    with pytest.raises(Conflict):
        await h.bus.handle(RecordOutcome(rid, OutcomeAtThreeMonths.NONE, "partner:epide"))

    assert early.status is ReferralStatus.ENROLLED
    assert done.outcome is OutcomeAtThreeMonths.EMPLOYED and done.version == 5
    kinds = [e.kind for e in h.events(REFERRAL_EVENT.name, ReferralEvent)]
    assert kinds == [ReferralEventKind.STATUS] * 4 + [ReferralEventKind.OUTCOME]
    assert (await h.views.funnel())["Epide"]["employed"] == 1


async def test_a_reminder_comes_once_before_the_deadline_and_then_the_referral_expires() -> None:
    h = ReferralsHarness()
    _, rid = await referred(h)
    deadline = (await h.views.get(rid)).respond_by  # type: ignore[union-attr]
    assert deadline is not None

    assert await h.bus.handle(SweepDeadlines(deadline - timedelta(days=3))) == ([], [])
    assert await h.bus.handle(SweepDeadlines(deadline - timedelta(days=1))) == ([rid], [])
    assert await h.bus.handle(SweepDeadlines(deadline - timedelta(hours=1))) == ([], [])
    assert await h.bus.handle(SweepDeadlines(deadline)) == ([], [rid])

    assert (await h.views.get(rid)).status is ReferralStatus.EXPIRED  # type: ignore[union-attr]


async def test_an_amended_profile_withdraws_the_referral_its_new_proposal_no_longer_holds() -> None:
    h = ReferralsHarness()
    s, first = await referred(h)
    elsewhere = epide_opening(department="68", starts_on=TODAY + timedelta(days=30))
    await h.bus.handle(CreateOpening(elsewhere))
    moved = CirSigningCreate.model_validate(s.model_dump() | {"department": "68"})
    await h.bus.handle(AmendProfile(moved, "auditor:x", NOW))

    await h.consume(proposal_for(s, elsewhere, version=2))

    statuses = {v.referral_id: v.status for v in await h.views.of_beneficiary(s.beneficiary_id)}
    assert statuses[first] is ReferralStatus.WITHDRAWN
    assert sorted(statuses.values()) == sorted([ReferralStatus.WITHDRAWN, ReferralStatus.SENT])


async def test_a_referral_by_hand_says_why_and_cannot_be_made_twice() -> None:
    h = ReferralsHarness()
    opening = epide_opening()
    await h.bus.handle(CreateOpening(opening))
    s = signing()
    await record(h, s)

    view = await h.bus.handle(ReferByHand(s.beneficiary_id, opening.opening_id, "déménage en Alsace", "auditor:ana"))
    with pytest.raises(Conflict):
        await h.bus.handle(ReferByHand(s.beneficiary_id, opening.opening_id, "encore", "auditor:ana"))

    assert view.reasons == ["orientation manuelle : déménage en Alsace"]
    assert h.events(REFERRAL_EVENT.name, ReferralEvent)[0].actor == "auditor:ana"


async def every_kind_of_state(h: ReferralsHarness) -> None:
    """A scenario that leaves something in every projection."""
    s, rid = await referred(h)
    await h.bus.handle(ChangeStatus(rid, ReferralStatus.DECLINED, "partner:epide",
                                    decline_reason=DeclineReason.NOT_ELIGIBLE, note="hors critères"))  # fmt: skip
    amended = CirSigningCreate.model_validate(s.model_dump() | {"french_level": "B2"})
    await h.bus.handle(AmendProfile(amended, "auditor:x", NOW))
    await h.bus.handle(Subscribe("pole-emploi-67", PoolFilters(departments=["67"]), True, None))
    change = CredentialChange(kind="partner", id="epide", record={"partner_id": "epide", "name": "Epide"})
    journal = ProjectingPublisher(h.log.publisher(REFERRALS_CREDENTIAL.name), h.table, h.clock)
    await journal.publish(change, key=change.id)  # as Credentials does: the log, then the same projection
    await h.bus.handle(ExportPersonalData(s.beneficiary_id, "auditor:x", NOW))  # audited
    h.lifecycle.windows = DecisionWindows(minutes=240)  # a referral waits for its window, which closes
    later = epide_opening(starts_on=TODAY + timedelta(days=60))
    await h.bus.handle(CreateOpening(later))
    waiting = signing()
    await record(h, waiting)
    await h.consume(proposal_for(waiting, later))
    await h.bus.handle(CloseDecisionWindows(NOW + timedelta(hours=5)))


async def test_the_log_rebuilds_exactly_the_state_the_use_cases_left() -> None:
    h = ReferralsHarness()
    await every_kind_of_state(h)
    live = h.state()

    counts = await h.rebuilt()  # Redis lost

    assert h.state() == live
    assert all(counts[p.name] > 0 for p in h.table), counts


@pytest.mark.parametrize("missing", range(10))
async def test_a_rebuild_without_one_of_the_projections_is_not_the_same_state(missing: int) -> None:
    h = ReferralsHarness()
    await every_kind_of_state(h)
    live = h.state()

    name = await h.rebuilt_without(missing)

    assert h.state() != live, f"{name} is not needed to rebuild the state?"


async def test_the_success_estimate_stays_with_the_auditor_and_never_reaches_the_partner() -> None:
    h = ReferralsHarness()
    opening = epide_opening()
    await h.bus.handle(CreateOpening(opening))
    s = signing()
    await record(h, s)
    proposal = proposal_for(s, opening)
    estimate = f"{SUCCESS_ESTIMATE}57 % (estimation a priori)"
    ranked = proposal.ranked[0].model_copy(update={"reasons": [estimate, *proposal.ranked[0].reasons]})

    await h.consume(proposal.model_copy(update={"ranked": [ranked]}))

    [event] = h.events(REFERRAL_EVENT.name, ReferralEvent)
    assert event.reasons == ["âge et niveau de français adaptés"]
    assert (await h.records.latest_proposal(s.beneficiary_id)).ranked[0].reasons[0] == estimate  # type: ignore[union-attr]


async def test_the_persons_choice_refers_another_proposal_and_withdraws_the_first_in_one_action() -> None:
    h = ReferralsHarness()
    s, first_id = await referred(h)
    other = epide_opening(programme="HOPE", partner_id="afpa", starts_on=TODAY + timedelta(days=40))
    await h.bus.handle(CreateOpening(other))

    chosen = await h.bus.handle(ChooseInstead(s.beneficiary_id, other.opening_id, "auditor:ana"))

    first = await h.views.get(first_id)
    assert first is not None and first.status is ReferralStatus.WITHDRAWN
    assert chosen.opening_id == other.opening_id and chosen.status in (ReferralStatus.SENT, ReferralStatus.PROPOSED)
    withdrawal = [e for e in h.events(REFERRAL_EVENT.name, ReferralEvent) if e.referral_id == first_id][-1]
    assert withdrawal.note == "choix de la personne" and withdrawal.actor == "auditor:ana"
    with pytest.raises(Conflict):  # the referral under way is the one chosen
        await h.bus.handle(ChooseInstead(s.beneficiary_id, other.opening_id, "auditor:ana"))
