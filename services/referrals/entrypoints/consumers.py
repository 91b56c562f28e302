"""Referrals' event handlers, by the name its topology gives them: each takes the event, then what it
needs by name (injected by the bootstrap). The events are projected before their handler runs."""

from __future__ import annotations

from services.referrals.service_layer.decision_windows import apply_window_decision
from services.referrals.service_layer.handlers import Clock, Publishers, refer_from_proposal
from services.referrals.service_layer.lifecycle_handlers import Lifecycle
from services.referrals.service_layer.ports import PartnerMailing, Records, Views
from shared.contract.events import MatchingProposal, ReferralEvent
from shared.messaging.injection import Handler


async def refer_to_the_seat_held(
    proposal: MatchingProposal, lifecycle: Lifecycle, store: Records, views: Views, publishers: Publishers, clock: Clock
) -> None:
    """Create the referral for the seat matching held (once per proposal) and announce it: sent at once,
    or when its decision window closes; a window's final word sends or moves it. After an amended
    profile, withdraw the referrals awaiting an answer the new proposal no longer holds."""
    if proposal.window is not None:
        await apply_window_decision(proposal, lifecycle, store, views, publishers, clock)
        return
    await refer_from_proposal(proposal, store, views, publishers, clock, lifecycle.windows)
    if proposal.profile_version > 1:
        await lifecycle.withdraw_superseded(proposal)


async def mail_the_partner(event: ReferralEvent, mail: PartnerMailing) -> None:
    """E-mail the partner about a new referral or a reminder (never raises: a relay that is down delays
    e-mails, not views)."""
    await mail.mail_about(event)


EVENT_HANDLERS: dict[str, Handler] = {
    "refer_to_the_seat_held": refer_to_the_seat_held,
    "mail_the_partner": mail_the_partner,
}
