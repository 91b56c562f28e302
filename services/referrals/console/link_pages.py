"""The page an e-mail link opens: one referral, as the partner's inbox shows it (no personal data), and
the answers a partner gives without an account. Every opening and every answer is audited."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.referrals.adapters.referral_links import LinkClaim, LinkRefused, ReferralLinks
from services.referrals.console.partner_pages import answer, is_overdue
from services.referrals.console.rendering import page
from services.referrals.console.sessions import check_csrf, flash, take_flash
from services.referrals.domain.lifecycle import IllegalTransition
from services.referrals.domain.referral_view import ReferralView, sent_to_partner
from services.referrals.entrypoints.dependencies import ContextDep, ReferralsContext
from shared.contract.events import AuditRecord
from shared.contract.vocabulary import DeclineReason

router = APIRouter(prefix="/lien", include_in_schema=False)
LINK_ACTIONS = {"accepter", "liste-attente", "refuser"}


async def _open(request: Request, token: str, context: ReferralsContext, action: str) -> tuple[LinkClaim, ReferralView]:
    links: ReferralLinks = request.app.state.links
    now = context.clock()
    try:
        claim = await links.read(token, now)
    except LinkRefused as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    view = await context.views.get(claim.referral_id)
    if view is None or view.partner_id != claim.partner_id or not sent_to_partner(view):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Orientation introuvable.")
    record = AuditRecord(
        actor=f"link:{claim.link_id}",
        action=action,
        subject=view.beneficiary_id,
        referral_id=view.referral_id,
        at=now,
    )
    await context.publishers.audit.publish(record, key=view.beneficiary_id)
    return claim, view


@router.get("/{token}", response_class=HTMLResponse)
async def open_link(request: Request, token: str, context: ContextDep) -> HTMLResponse:
    claim, view = await _open(request, token, context, "link_opened")
    return page(
        request,
        "link_referral.html",
        view=view,
        claim=claim,
        token=token,
        opening=await context.store.get_opening(view.opening_id),
        occupations=request.app.state.occupations,
        overdue=is_overdue(view, context.clock()),
        message=take_flash(request),
        reasons=list(DeclineReason),
    )


@router.post("/{token}/{action}")
async def answer_by_link(
    request: Request,
    token: str,
    action: str,
    context: ContextDep,
    motif: str = Form(""),
    message: str = Form(""),
) -> Response:
    await check_csrf(request)
    if action not in LINK_ACTIONS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Action inconnue.")
    claim, view = await _open(request, token, context, "link_answered")
    try:
        done = await answer(
            context, view, action, f"partner:{claim.partner_id}/lien", motif, message.strip()[:500] or None, "", False
        )
    except IllegalTransition:
        done = "Cette orientation a déjà reçu une réponse."
    flash(request, done)  # in the visitor's signed cookie: no account here
    return RedirectResponse(f"/lien/{token}", status_code=status.HTTP_303_SEE_OTHER)
