"""Matching's consumed topics, as a table: each is projected, then reacted to."""

from __future__ import annotations

from dataclasses import dataclass

from services.matching.service_layer.decision_window import WindowCloser
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.ports import Seats
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose
from services.matching.service_layer.referral_feedback import Feedback
from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events import (
    BeneficiaryProfile,
    DecisionWindowClosed,
    ProgrammeOpening,
    ReferralEvent,
    SuccessModelTrained,
)
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_MODEL,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRAL_WINDOW,
)
from shared.messaging.consuming import Route
from shared.messaging.projections import ProjectionTable, Publisher, consumes

PROFILES_GROUP = "matching.profiles"
OPENINGS_GROUP = "matching.openings"
REFERRALS_GROUP = "matching.referral-events"
WINDOWS_GROUP = "matching.windows"
MODELS_GROUP = "matching.models"


@dataclass
class MatchingDependencies:
    table: ProjectionTable
    seats: Seats
    engine: LiveEngine
    feedback: Feedback
    proposals: Publisher  # projected: the seat it holds is kept in the ledger and the batch
    clock: Clock
    policy: ProposalPolicy
    windows: WindowCloser


def matching_routes(deps: MatchingDependencies) -> list[Route]:
    async def propose_to_the_newcomer(profile: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        """Rank the openings a newcomer is eligible for, hold a seat, and publish the proposal."""
        engine = await deps.engine.current()
        # An amended profile of someone already accepted somewhere is ranked and explained, but holds no
        # second seat: the auditor decides (withdraw the first, or refer by hand).
        placed = profile.version > 1 and await deps.seats.confirmed_on_any(
            [o.opening_id for o in engine.openings], profile.beneficiary_id
        )
        proposal = await propose(
            profile, attributes.id, engine, deps.seats, deps.clock, deps.policy, hold_seat=not placed
        )
        await deps.proposals.publish(proposal, key=profile.beneficiary_id, event_id=proposal.proposal_id)

    async def reroute_or_retrain(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """After a decline or an expiry, propose the next-best opening; after outcomes, retrain."""
        await deps.feedback.reroute_or_retrain(event)

    async def resolve_the_window(window: DecisionWindowClosed, attributes: CloudEventAttributes) -> None:
        """Re-solve a closed window's provisional holds together; each referral gets its final proposal."""
        await deps.windows.close(window)

    table, clock = deps.table, deps.clock
    return [
        consumes(table, BENEFICIARY_PROFILE, BeneficiaryProfile, PROFILES_GROUP, clock, propose_to_the_newcomer),
        consumes(table, PROGRAMME_OPENING, ProgrammeOpening, OPENINGS_GROUP, clock),
        consumes(table, REFERRAL_EVENT, ReferralEvent, REFERRALS_GROUP, clock, reroute_or_retrain),
        consumes(table, REFERRAL_WINDOW, DecisionWindowClosed, WINDOWS_GROUP, clock, resolve_the_window),
        # A version trained elsewhere (another instance, `passerelle train`) is adopted once it checks out.
        consumes(table, MATCHING_MODEL, SuccessModelTrained, MODELS_GROUP, clock),
    ]
