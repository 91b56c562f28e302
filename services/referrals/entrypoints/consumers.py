"""Referrals' Kafka entrypoints, as a table: each consumed topic is projected, then reacted to."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.referrals.config import ReferralsSettings
from services.referrals.entrypoints.dependencies import ReferralsContext
from services.referrals.service_layer.handlers import refer_from_proposal
from services.referrals.service_layer.partner_mail import PartnerMail
from shared.cloudevents import CloudEventAttributes
from shared.consuming import subscribe
from shared.dead_letters import DeadLetters
from shared.events import MatchingProposal, ReferralEvent
from shared.projections import ProjectionTable, project_then
from shared.state_guard import StateGuard
from shared.topics import MATCHING_PROPOSAL, REFERRAL_EVENT

PROPOSALS_GROUP = "referrals.proposals"
PROJECTION_GROUP = "referrals.projection"


def register_consumers(
    broker: KafkaBroker,
    settings: ReferralsSettings,
    context: ReferralsContext,
    table: ProjectionTable,
    dead_letters: DeadLetters,
    guard: StateGuard,
    mail: PartnerMail,
) -> None:
    async def refer_to_the_seat_held(proposal: MatchingProposal, attributes: CloudEventAttributes) -> None:
        """Create the referral for the seat matching held (once per proposal) and announce it; after an
        amended profile, withdraw the proposed referrals the new proposal no longer holds."""
        await refer_from_proposal(proposal, context.store, context.views, context.publishers, context.clock)
        if proposal.profile_version > 1:
            await context.lifecycle.withdraw_superseded(proposal)

    async def mail_the_partner(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """E-mail the partner about a new referral or a reminder (never raises: a relay that is down
        delays e-mails, not views)."""
        await mail.mail_about(event)

    for spec, model, react, group in (
        (MATCHING_PROPOSAL, MatchingProposal, refer_to_the_seat_held, PROPOSALS_GROUP),
        (REFERRAL_EVENT, ReferralEvent, mail_the_partner, PROJECTION_GROUP),
    ):
        handler = project_then(table, spec.name, context.clock, react)
        subscribe(broker, settings, spec.name, model, handler, group, dead_letters, guard)
