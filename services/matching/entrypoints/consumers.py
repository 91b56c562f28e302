"""Matching's event handlers, by the name its topology gives them: each takes the event, then what it
needs by name (injected by the bootstrap). The events are projected before their handler runs."""

from __future__ import annotations

from services.matching.service_layer.decision_window import WindowCloser
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.ports import Seats
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose
from services.matching.service_layer.referral_feedback import Feedback
from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events import BeneficiaryProfile, DecisionWindowClosed, ReferralEvent
from shared.messaging.injection import Handler
from shared.messaging.projections import Publisher


async def propose_to_the_newcomer(
    profile: BeneficiaryProfile,
    attributes: CloudEventAttributes,
    live: LiveEngine,
    seats: Seats,
    proposals: Publisher,
    clock: Clock,
    policy: ProposalPolicy,
) -> None:
    """Rank the openings a newcomer is eligible for, hold a seat, and publish the proposal."""
    engine = await live.current()
    # An amended profile of someone already accepted somewhere is ranked and explained, but holds no
    # second seat: the auditor decides (withdraw the first, or refer by hand).
    placed = profile.version > 1 and await seats.confirmed_on_any(
        [o.opening_id for o in engine.openings], profile.beneficiary_id
    )
    proposal = await propose(profile, attributes.id, engine, seats, clock, policy, hold_seat=not placed)
    await proposals.publish(proposal, key=profile.beneficiary_id, event_id=proposal.proposal_id)


async def reroute_or_retrain(event: ReferralEvent, feedback: Feedback) -> None:
    """After a decline or an expiry, propose the next-best opening; after outcomes, retrain."""
    await feedback.reroute_or_retrain(event)


async def resolve_the_window(window: DecisionWindowClosed, windows: WindowCloser) -> None:
    """Re-solve a closed window's provisional holds together; each referral gets its final proposal."""
    await windows.close(window)


EVENT_HANDLERS: dict[str, Handler] = {
    "propose_to_the_newcomer": propose_to_the_newcomer,
    "reroute_or_retrain": reroute_or_retrain,
    "resolve_the_window": resolve_the_window,
}
