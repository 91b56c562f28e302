"""Decision windows on the referrals side: a window that closes is handed to matching, which re-solves
its provisional holds together; its final word on each referral sends it, or moves it to a better opening
first (the first partner never hears of it)."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from services.referrals.domain.lifecycle import IllegalTransition
from services.referrals.domain.referral_view import ReferralView
from services.referrals.service_layer.handlers import Clock, Publishers, refer_from_proposal
from services.referrals.service_layer.lifecycle_handlers import Lifecycle
from services.referrals.service_layer.ports import Records, Views
from shared.contract.events import DecisionWindowClosed, MatchingProposal, WindowMember
from shared.contract.events.window import MAX_WINDOW_PART
from shared.contract.vocabulary import ReferralStatus

log = logging.getLogger(__name__)


async def close_due_windows(lifecycle: Lifecycle, now: datetime) -> list[DecisionWindowClosed]:
    """Every proposed referral whose window has closed by `now` goes to matching, in parts of at most
    MAX_WINDOW_PART; returns the windows published."""
    views: list[ReferralView] = []
    for referral_id in await lifecycle.views.due_to_send(now):
        view = await lifecycle.views.get(referral_id)
        if view is not None and view.status is ReferralStatus.PROPOSED and view.send_by is not None:
            views.append(view)
    if not views:
        return []
    window_id = lifecycle.windows.window_id(max(v.send_by for v in views if v.send_by is not None))
    published = []
    for start in range(0, len(views), MAX_WINDOW_PART):
        part = views[start : start + MAX_WINDOW_PART]
        members = [WindowMember(referral_id=v.referral_id, beneficiary_id=v.beneficiary_id, opening_id=v.opening_id)
                   for v in part]  # fmt: skip
        window = DecisionWindowClosed(window_id=window_id, closed_at=now, members=members)
        await lifecycle.publishers.windows.publish(window, key=window_id, event_id=window.content_id())
        published.append(window)
    log.info("decision window closed", extra={"window_id": window_id, "referrals": len(views)})
    return published


async def apply_window_decision(
    proposal: MatchingProposal, lifecycle: Lifecycle, store: Records, views: Views, publishers: Publishers, clock: Clock
) -> ReferralView | None:
    """Matching's final word on a referral of a closed window: send it where it is, or move it (a new
    referral on the better opening, sent; the provisional one withdrawn), or withdraw it when no seat is
    left for it; or a newcomer of the window who had no seat gets one (a new referral, sent). Idempotent: a
    referral no longer proposed is left as it is."""
    decision = proposal.window
    assert decision is not None
    if decision.referral_id is None:
        return await refer_from_proposal(proposal, store, views, publishers, clock)  # created sent
    view = await views.get(decision.referral_id)
    if view is None or view.status is not ReferralStatus.PROPOSED:
        log.info("window decision on a referral no longer proposed", extra={"referral_id": decision.referral_id})
        return None
    closed = f"fenêtre de décision du {decision.window_id}"
    if proposal.held is None:
        await _withdraw(lifecycle, view, f"{closed} : plus de place pour cette personne / no seat left at the close")
        return None
    if proposal.held.opening_id == view.opening_id:
        return await lifecycle.send(view.referral_id, f"{closed} : envoyée / sent at the close of the window")
    moved = await refer_from_proposal(proposal, store, views, publishers, clock)  # created sent
    await _withdraw(
        lifecycle, view,
        f"{closed} : déplacée vers {proposal.held.opening_id} / moved to a better opening",
    )  # fmt: skip
    return moved


async def _withdraw(lifecycle: Lifecycle, view: ReferralView, note: str) -> None:
    with contextlib.suppress(IllegalTransition):  # changed meanwhile: that change stands
        await lifecycle.change_status(view.referral_id, ReferralStatus.WITHDRAWN, "matching", note=note)
