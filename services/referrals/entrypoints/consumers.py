"""Referrals' Kafka entrypoint: proposals from matching become referrals."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.referrals.adapters.referral_views import OutOfOrder
from services.referrals.config import ReferralsSettings
from services.referrals.entrypoints.dependencies import ReferralsContext
from services.referrals.service_layer.handlers import refer_from_proposal
from services.referrals.service_layer.partner_mail import PartnerMail
from shared.cloudevents import CloudEventAttributes
from shared.consuming import PoisonMessage, subscribe
from shared.dead_letters import DeadLetters
from shared.events import MatchingProposal, ReferralEvent
from shared.state_guard import StateGuard
from shared.topics import MATCHING_PROPOSAL, REFERRAL_EVENT

PROPOSALS_GROUP = "referrals.proposals"
PROJECTION_GROUP = "referrals.projection"


def register_consumers(
    broker: KafkaBroker,
    settings: ReferralsSettings,
    context: ReferralsContext,
    dead_letters: DeadLetters,
    guard: StateGuard,
    mail: PartnerMail,
) -> None:
    async def on_proposal_published(proposal: MatchingProposal, attributes: CloudEventAttributes) -> None:
        """Create the referral for the seat matching held (once per proposal) and announce it."""
        await refer_from_proposal(proposal, context.store, context.views, context.publishers, context.clock)
        if proposal.profile_version > 1:
            await context.lifecycle.withdraw_superseded(proposal)

    async def on_referral_event(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """Keep the referral views: the projection of the referral log (idempotent)."""
        try:
            await context.views.apply(event)
        except OutOfOrder as exc:
            raise PoisonMessage(str(exc)) from exc
        await mail.on_referral_event(event)  # never raises: a relay that is down delays e-mails, not views

    handlers = [
        (MATCHING_PROPOSAL.name, MatchingProposal, on_proposal_published, PROPOSALS_GROUP),
        (REFERRAL_EVENT.name, ReferralEvent, on_referral_event, PROJECTION_GROUP),
    ]
    for topic, model, handler, group in handlers:
        subscribe(broker, settings, topic, model, handler, group, dead_letters, guard)  # type: ignore[arg-type]
