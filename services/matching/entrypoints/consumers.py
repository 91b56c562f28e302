"""Matching's Kafka entrypoints: thin — validate, call the service layer, publish."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from services.matching.adapters.batch_state import PendingProfiles
from services.matching.adapters.newcomers import ProfileBook
from services.matching.adapters.openings_view import OpeningsView
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.config import MatchingSettings
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose
from services.matching.service_layer.referral_feedback import Feedback
from shared.cloudevents import CloudEventAttributes
from shared.consuming import subscribe
from shared.dead_letters import DeadLetters
from shared.events import BeneficiaryProfile, ProgrammeOpening, ReferralEvent
from shared.publishing import EventPublisher
from shared.state_guard import StateGuard
from shared.topics import BENEFICIARY_PROFILE, PROGRAMME_OPENING, REFERRAL_EVENT

PROFILES_GROUP = "matching.profiles"
OPENINGS_GROUP = "matching.openings"
REFERRALS_GROUP = "matching.referral-events"


@dataclass
class MatchingDependencies:
    openings: OpeningsView
    seats: SeatLedger
    engine: LiveEngine
    pending: PendingProfiles
    profiles: ProfileBook
    feedback: Feedback
    proposals: EventPublisher
    dead_letters: DeadLetters
    clock: Clock
    policy: ProposalPolicy


def register_consumers(
    broker: KafkaBroker, settings: MatchingSettings, deps: MatchingDependencies, guard: StateGuard | None = None
) -> None:
    async def on_profile_published(profile: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        """Rank the openings a newcomer is eligible for, hold a seat, and publish the proposal."""
        await deps.profiles.remember(profile)
        await deps.pending.refresh(profile)
        engine = await deps.engine.current()
        # An amended profile of someone already accepted somewhere is ranked and explained, but holds no
        # second seat: the auditor decides (withdraw the first, or refer by hand).
        placed = profile.version > 1 and await deps.seats.confirmed_on_any(
            [o.opening_id for o in engine.openings], profile.beneficiary_id
        )
        proposal = await propose(
            profile, attributes.id, engine, deps.seats, deps.clock, deps.policy, hold_seat=not placed
        )
        if proposal.held is not None:
            await deps.pending.add(profile, proposal.held.expires_at)
        await deps.proposals.publish(proposal, key=profile.beneficiary_id, event_id=proposal.proposal_id)

    async def on_opening_published(opening: ProgrammeOpening, attributes: CloudEventAttributes) -> None:
        """Keep matching's view of the openings and their seat capacity."""
        await deps.openings.upsert(opening)
        await deps.seats.set_capacity(opening.opening_id, opening.seats)

    async def on_referral_event(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """Confirm or release the seat, re-route after a decline or expiry, learn from outcomes."""
        proposal = await deps.feedback.on_referral(event)
        if proposal is not None:
            await deps.proposals.publish(proposal, key=proposal.beneficiary_id, event_id=proposal.proposal_id)

    for spec, model, handler, group in (
        (BENEFICIARY_PROFILE, BeneficiaryProfile, on_profile_published, PROFILES_GROUP),
        (PROGRAMME_OPENING, ProgrammeOpening, on_opening_published, OPENINGS_GROUP),
        (REFERRAL_EVENT, ReferralEvent, on_referral_event, REFERRALS_GROUP),
    ):
        subscribe(broker, settings, spec.name, model, handler, group, deps.dead_letters, guard)  # type: ignore[arg-type]
