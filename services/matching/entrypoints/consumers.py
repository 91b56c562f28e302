"""Matching's event handlers, by the name its topology gives them: each takes the event, then what it
needs by name (injected by the bootstrap). The events are projected before their handler runs."""

from __future__ import annotations

from services.matching.service_layer.decision_window import WindowCloser
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.ports import Choices, Seats, WaitingRoom
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose
from services.matching.service_layer.referral_feedback import Feedback
from services.matching.service_layer.standing_demand import StandingDemand
from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events import BeneficiaryProfile, DecisionWindowClosed, ProgrammeOpening, ReferralEvent
from shared.contract.lifecycle import RELEASES_SEAT
from shared.contract.vocabulary import ReferralEventKind
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
    waiting: WaitingRoom,
    choices: Choices,
) -> None:
    """Rank the openings a newcomer is eligible for, hold a seat, and publish the proposal (without a seat,
    the newcomer waits, from the first time they did: an amended profile does not restart the wait)."""
    engine = await live.current()
    # An amended profile of someone already accepted somewhere is ranked and explained, but holds no
    # second seat: the auditor decides (withdraw the first, or refer by hand).
    placed = profile.version > 1 and await seats.confirmed_on_any(
        [o.opening_id for o in engine.openings], profile.beneficiary_id
    )
    # Nor does one referred by hand (their own choice) to an opening that still fits: the choice stands.
    chosen = await choices.of(profile.beneficiary_id) if profile.version > 1 else None
    if chosen is not None and not placed:
        placed = any(c.opening.opening_id == chosen for c in engine.candidates(profile, limit=len(engine.openings)))
    since = await waiting.since(profile.beneficiary_id)
    proposal = await propose(
        profile, attributes.id, engine, seats, clock, policy, hold_seat=not placed, waiting_since=since
    )
    await proposals.publish(proposal, key=profile.beneficiary_id, event_id=proposal.proposal_id)


async def reroute_or_retrain(
    event: ReferralEvent, attributes: CloudEventAttributes, feedback: Feedback, demand: StandingDemand
) -> None:
    """After a decline or an expiry, propose the next-best opening; after outcomes, retrain. A seat that
    was released goes to the waiting newcomers it fits."""
    await feedback.reroute_or_retrain(event)
    if event.kind is ReferralEventKind.STATUS and event.status in RELEASES_SEAT:
        await demand.offer([event.opening_id], cause=attributes.id)


async def offer_the_opening(
    opening: ProgrammeOpening, attributes: CloudEventAttributes, demand: StandingDemand
) -> None:
    """An opening published, with more seats or looser rules: the waiting newcomers it fits are offered it."""
    await demand.offer([opening.opening_id], cause=attributes.id)


async def resolve_the_window(window: DecisionWindowClosed, windows: WindowCloser) -> None:
    """Re-solve a closed window's provisional holds together; each referral gets its final proposal."""
    await windows.close(window)


EVENT_HANDLERS: dict[str, Handler] = {
    "offer_the_opening": offer_the_opening,
    "propose_to_the_newcomer": propose_to_the_newcomer,
    "reroute_or_retrain": reroute_or_retrain,
    "resolve_the_window": resolve_the_window,
}
