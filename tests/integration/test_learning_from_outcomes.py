"""Outcomes reported by partners reach matching and, once there are enough, retrain its model."""

from datetime import UTC, datetime, timedelta

import numpy as np
from redis.asyncio import Redis

from passerelle.synthetic import make_openings, make_population
from services.matching.adapters.batch_state import PendingProfiles, SeatPrices
from services.matching.adapters.newcomers import ProfileBook, TriedOpenings
from services.matching.adapters.openings_view import OpeningsView
from services.matching.adapters.outcome_log import OutcomeLog
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.domain.success_model import prior_model
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.propose import ProposalPolicy
from services.matching.service_layer.referral_feedback import RETRAIN_EVERY, Feedback
from services.referrals.domain.referral import candidate_summary
from shared.events import ReferralEvent
from shared.vocabulary import OutcomeAtThreeMonths, ReferralEventKind, ReferralStatus
from tests.support import random_ref

NOW = datetime(2027, 4, 1, tzinfo=UTC)


async def test_fifty_outcomes_replace_the_prior_with_a_learned_model(redis: Redis) -> None:
    prefix = random_ref("learn")
    rng = np.random.default_rng(11)
    openings_view = OpeningsView(redis, key=f"{prefix}:openings")
    openings = make_openings(5, rng)
    for opening in openings:
        await openings_view.upsert(opening)
    live = LiveEngine(openings_view, SeatPrices(redis, key=f"{prefix}:prices"), prior_model())
    profiles = ProfileBook(redis, key=f"{prefix}:profiles")
    outcomes = OutcomeLog(redis, key=f"{prefix}:outcomes")
    feedback = Feedback(
        SeatLedger(redis, prefix=f"{prefix}:seats"), PendingProfiles(redis, key=f"{prefix}:pending"), profiles,
        TriedOpenings(redis, prefix=f"{prefix}:tried"), outcomes, openings_view, live, lambda: NOW, ProposalPolicy(),
    )  # fmt: skip
    people = make_population(2 * RETRAIN_EVERY, rng).profiles
    for k, person in enumerate(people):
        await profiles.remember(person)
        opening = openings[k % len(openings)]
        event = ReferralEvent(
            referral_id=random_ref("r"), beneficiary_id=person.beneficiary_id, opening_id=opening.opening_id,
            partner_id=opening.partner_id, programme=opening.programme, status=ReferralStatus.COMPLETED,
            occurred_at=NOW - timedelta(days=1), candidate=candidate_summary(person, NOW.date()),
            sequence=5, kind=ReferralEventKind.OUTCOME,
            outcome=OutcomeAtThreeMonths.EMPLOYED if k % 3 else OutcomeAtThreeMonths.NONE,
        )  # fmt: skip
        await feedback.on_referral(event)
        await feedback.on_referral(event)  # redelivered: counted once

    assert await outcomes.count() == 2 * RETRAIN_EVERY
    assert live.model.source.startswith("learned")
    assert live.model.trained_on == 2 * RETRAIN_EVERY
