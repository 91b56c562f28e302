"""Matching's use cases through its own wiring (projection table, projecting publishers, consumed-topic
routes) over in-memory fakes: proposals that hold seats, re-routing, seats confirmed and released, and
retraining into one model version that every instance uses."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from passerelle.synthetic import make_openings, make_population
from services.matching.domain.success_model import prior_model
from services.matching.service_layer.history import TrainingReport
from services.matching.service_layer.live_engine import reoptimise
from services.matching.service_layer.referral_feedback import RETRAIN_EVERY
from services.referrals.domain.referral import candidate_summary, referral_id_for
from shared.contract.events import (
    BeneficiaryProfile,
    MatchingProposal,
    ProgrammeOpening,
    ReferralEvent,
    SuccessModelTrained,
)
from shared.contract.topics import MATCHING_MODEL, MATCHING_PROPOSAL
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralEventKind, ReferralStatus
from tests.factories import epide_opening, profile
from tests.unit.fakes.harness import NOW, MatchingHarness

YOUNG = date(2005, 1, 1)


def event(person: BeneficiaryProfile, opening: ProgrammeOpening, status: ReferralStatus, sequence: int,
          **fields: object) -> ReferralEvent:  # fmt: skip
    return ReferralEvent(
        referral_id=referral_id_for(person.beneficiary_id, opening.opening_id), beneficiary_id=person.beneficiary_id,
        opening_id=opening.opening_id, partner_id=opening.partner_id, programme=opening.programme, status=status,
        occurred_at=NOW, candidate=candidate_summary(person, NOW.date()), sequence=sequence,
        actor=str(fields.pop("actor", "partner:epide")), **fields,  # type: ignore[arg-type]
    )  # fmt: skip


async def with_openings(h: MatchingHarness, *openings: ProgrammeOpening) -> None:
    for opening in openings:
        await h.consume(opening)


async def test_a_profile_gets_a_proposal_that_holds_one_seat_however_often_it_arrives() -> None:
    h = MatchingHarness()
    opening = epide_opening(seats=2)
    await with_openings(h, opening)
    person = profile(birth_date=YOUNG)

    await h.consume(person)
    await h.consume(person)  # redelivered

    proposals = h.events(MATCHING_PROPOSAL.name, MatchingProposal)
    assert [p.held.opening_id for p in proposals if p.held] == [opening.opening_id] * 2
    assert len({p.proposal_id for p in proposals}) == 2  # new ce_id per delivery here; the same seat
    assert await h.seats.available(opening.opening_id, NOW) == 1
    assert [p.beneficiary_id for p in await h.pending.live(NOW)] == [person.beneficiary_id]


async def test_a_full_opening_holds_nothing_and_says_so_in_the_proposal() -> None:
    h = MatchingHarness()
    opening = epide_opening(seats=1)
    await with_openings(h, opening)
    first, second = profile(birth_date=YOUNG), profile(birth_date=YOUNG)

    await h.consume(first)
    await h.consume(second)

    held = [p.held for p in h.events(MATCHING_PROPOSAL.name, MatchingProposal)]
    assert held[0] is not None and held[1] is None
    assert await h.seats.available(opening.opening_id, NOW) == 0


async def test_a_decline_releases_the_seat_and_re_routes_to_the_next_opening_not_tried() -> None:
    h = MatchingHarness()
    first, other = epide_opening(seats=1), epide_opening(seats=1)
    await with_openings(h, first, other)
    person = profile(birth_date=YOUNG)
    await h.consume(person)
    [proposal] = h.events(MATCHING_PROPOSAL.name, MatchingProposal)
    held = next(o for o in (first, other) if proposal.held and o.opening_id == proposal.held.opening_id)
    await h.consume(event(person, held, ReferralStatus.PROPOSED, 1, actor="matching"))

    await h.consume(event(person, held, ReferralStatus.DECLINED, 2, decline_reason=DeclineReason.NOT_INTERESTED))

    rerouted = h.events(MATCHING_PROPOSAL.name, MatchingProposal)[-1]
    assert rerouted.held is not None and rerouted.held.opening_id != held.opening_id
    assert await h.seats.available(held.opening_id, NOW) == 1  # released
    assert await h.tried.of(person.beneficiary_id) == {held.opening_id}


async def test_an_acceptance_confirms_the_seat_and_a_referral_by_hand_holds_one() -> None:
    h = MatchingHarness()
    opening = epide_opening(seats=3)
    await with_openings(h, opening)
    placed, by_hand = profile(birth_date=YOUNG), profile(birth_date=YOUNG)
    await h.consume(placed)
    await h.consume(event(placed, opening, ReferralStatus.PROPOSED, 1, actor="matching"))
    await h.consume(event(placed, opening, ReferralStatus.ACCEPTED, 2))
    await h.consume(event(by_hand, opening, ReferralStatus.PROPOSED, 1, actor="auditor:ana"))

    assert h.seats.confirmed[opening.opening_id] == {placed.beneficiary_id}
    assert set(h.seats.holds[opening.opening_id]) == {by_hand.beneficiary_id}
    assert await h.seats.available(opening.opening_id, NOW) == 1


async def test_an_amended_profile_of_someone_placed_is_ranked_but_holds_no_second_seat() -> None:
    h = MatchingHarness()
    first, other = epide_opening(seats=5), epide_opening(seats=5)
    await with_openings(h, first, other)
    person = profile(birth_date=YOUNG)
    await h.consume(person)
    held_on = h.events(MATCHING_PROPOSAL.name, MatchingProposal)[0].held
    assert held_on is not None
    opening = first if held_on.opening_id == first.opening_id else other
    await h.consume(event(person, opening, ReferralStatus.PROPOSED, 1, actor="matching"))
    await h.consume(event(person, opening, ReferralStatus.ACCEPTED, 2))

    await h.consume(BeneficiaryProfile.model_validate(person.model_dump() | {"version": 2, "french_level": "B1"}))

    amended = h.events(MATCHING_PROPOSAL.name, MatchingProposal)[-1]
    assert amended.profile_version == 2 and amended.ranked and amended.held is None


def outcomes(n: int, openings: list[ProgrammeOpening]) -> list[tuple[BeneficiaryProfile, ReferralEvent]]:
    rng = np.random.default_rng(3)
    people = make_population(n, rng).profiles
    return [
        (p, event(p, openings[k % len(openings)], ReferralStatus.COMPLETED, 5, kind=ReferralEventKind.OUTCOME,
                  outcome=OutcomeAtThreeMonths.EMPLOYED if k % 3 else OutcomeAtThreeMonths.NONE))
        for k, p in enumerate(people)
    ]  # fmt: skip


async def test_fifty_outcomes_make_model_version_two_which_every_instance_and_the_batch_use() -> None:
    first = MatchingHarness()
    second = MatchingHarness(log=first.log, models=first.models)  # another instance, the same Redis
    openings = make_openings(4, np.random.default_rng(2))
    await with_openings(first, *openings)
    for person, outcome in outcomes(2 * RETRAIN_EVERY, openings):
        await first.consume(person)
        await first.consume(outcome)
        await first.consume(outcome)  # redelivered: counted once

    [artefact] = first.events(MATCHING_MODEL.name, SuccessModelTrained)
    assert artefact.version == 2 and artefact.trained_on == 2 * RETRAIN_EVERY and artefact.outcomes == 50
    assert artefact.log_loss is not None and 0 < artefact.log_loss < 1
    for opening in openings:
        await second.consume(opening)
    assert (await second.live.current()).model.version == 2
    await second.pending.add(profile(birth_date=YOUNG), NOW + timedelta(days=1))
    assert await reoptimise(second.live, second.pending, second.clock) == 1
    assert (await second.live.model()).version == 2


async def test_too_few_outcomes_keep_the_prior_and_publish_nothing() -> None:
    h = MatchingHarness()
    openings = make_openings(3, np.random.default_rng(4))
    await with_openings(h, *openings)
    for person, outcome in outcomes(RETRAIN_EVERY, openings):
        await h.consume(person)
        await h.consume(outcome)

    assert h.log.events(MATCHING_MODEL.name) == []
    assert (await h.live.model()).source == "prior"


async def every_kind_of_state(h: MatchingHarness) -> None:
    openings = make_openings(3, np.random.default_rng(6))
    await with_openings(h, *openings)
    for person, outcome in outcomes(3, openings):
        await h.consume(person)
        await h.consume(outcome)
    artefact = TrainingReport(prior_model(), 0, 0, "prior").artefact(version=1, outcomes=0, at=NOW)
    await h.feedback.model_log.publish(artefact, key="success-model")  # (training itself is tested above)
    opening = epide_opening(seats=4)
    await h.consume(opening)
    kept, declined = profile(birth_date=YOUNG), profile(birth_date=YOUNG)
    for person in (kept, declined):
        await h.consume(person)
    await h.consume(event(kept, opening, ReferralStatus.PROPOSED, 1, actor="auditor:ana"))
    await h.consume(event(kept, opening, ReferralStatus.ACCEPTED, 2))
    await h.consume(event(declined, opening, ReferralStatus.PROPOSED, 1, actor="matching"))
    await h.consume(event(declined, opening, ReferralStatus.DECLINED, 2, decline_reason=DeclineReason.OUT_OF_AREA))
    chosen = profile(birth_date=YOUNG)  # referred by hand, to the opening the person chose: under way
    await h.consume(chosen)
    await h.consume(event(chosen, opening, ReferralStatus.SENT, 1, actor="auditor:ana"))


async def test_the_log_rebuilds_exactly_the_state_the_use_cases_left() -> None:
    h = MatchingHarness()
    await every_kind_of_state(h)
    live = h.state()

    counts = await h.rebuilt()  # Redis lost

    assert h.state() == live
    assert all(counts[p.name] > 0 for p in h.table), counts


@pytest.mark.parametrize("missing", range(8))
async def test_a_rebuild_without_one_of_the_projections_is_not_the_same_state(missing: int) -> None:
    h = MatchingHarness()
    await every_kind_of_state(h)
    live = h.state()

    name = await h.rebuilt_without(missing)

    assert h.state() != live, f"{name} is not needed to rebuild the state?"
