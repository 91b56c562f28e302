"""Referrals' consumed topics, as a table: each is projected, then reacted to."""

from __future__ import annotations

from typing import Protocol

from services.referrals.entrypoints.dependencies import ReferralsContext
from services.referrals.service_layer.decision_windows import apply_window_decision
from services.referrals.service_layer.handlers import refer_from_proposal
from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events import MatchingProposal, ReferralEvent
from shared.contract.topics import MATCHING_PROPOSAL, REFERRAL_EVENT
from shared.messaging.consuming import Route
from shared.messaging.projections import ProjectionTable, consumes

PROPOSALS_GROUP = "referrals.proposals"
PROJECTION_GROUP = "referrals.projection"


class Mail(Protocol):
    async def mail_about(self, event: ReferralEvent) -> bool: ...


def referrals_routes(context: ReferralsContext, table: ProjectionTable, mail: Mail) -> list[Route]:
    async def refer_to_the_seat_held(proposal: MatchingProposal, attributes: CloudEventAttributes) -> None:
        """Create the referral for the seat matching held (once per proposal) and announce it: sent at once,
        or when its decision window closes; a window's final word sends or moves it. After an amended
        profile, withdraw the referrals awaiting an answer the new proposal no longer holds."""
        if proposal.window is not None:
            await apply_window_decision(
                proposal, context.lifecycle, context.store, context.views, context.publishers, context.clock
            )
            return
        await refer_from_proposal(
            proposal, context.store, context.views, context.publishers, context.clock, context.lifecycle.windows
        )
        if proposal.profile_version > 1:
            await context.lifecycle.withdraw_superseded(proposal)

    async def mail_the_partner(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """E-mail the partner about a new referral or a reminder (never raises: a relay that is down
        delays e-mails, not views)."""
        await mail.mail_about(event)

    return [
        consumes(table, MATCHING_PROPOSAL, MatchingProposal, PROPOSALS_GROUP, context.clock, refer_to_the_seat_held),
        consumes(table, REFERRAL_EVENT, ReferralEvent, PROJECTION_GROUP, context.clock, mail_the_partner),
    ]
