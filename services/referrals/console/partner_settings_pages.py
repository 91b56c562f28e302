"""The partner's own settings in the workspace: its sessions (seats, start date, time to answer) and its
API keys (issue one, shown once; revoke one). Everything goes through the same use cases as the API."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.referrals.console.rendering import page
from services.referrals.console.sessions import PartnerPerson, check_csrf, flash, take_flash
from services.referrals.entrypoints.dependencies import ContextDep
from services.referrals.service_layer.commands import UpdateOpening
from shared.principals import Role

router = APIRouter(prefix="/console/partenaire", include_in_schema=False)


@router.get("/sessions", response_class=HTMLResponse)
async def sessions(request: Request, partner: PartnerPerson, context: ContextDep) -> HTMLResponse:
    request.state.person = partner
    openings = [o for o in await context.store.list_openings() if o.partner_id == partner.partner_id]
    return page(request, "partner_sessions.html", openings=openings, message=take_flash(request))


@router.post("/sessions/{opening_id}")
async def update_session(
    request: Request,
    opening_id: str,
    partner: PartnerPerson,
    context: ContextDep,
    places: str = Form(""),
    demarrage: str = Form(""),
    delai: str = Form(""),
) -> Response:
    await check_csrf(request)
    opening = await context.store.get_opening(opening_id)
    if opening is None or opening.partner_id != partner.partner_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Session introuvable.")
    try:
        seats, starts_on, response_days = int(places), date.fromisoformat(demarrage), int(delai)
    except ValueError:
        message = "Places, date de démarrage et délai de réponse doivent être renseignés (nombres, date)."
    else:
        if not (0 <= seats <= 100_000 and 1 <= response_days <= 90):
            message = "Places entre 0 et 100 000 ; délai de réponse entre 1 et 90 jours."
        else:
            changed = opening.model_copy(
                update={"seats": seats, "starts_on": starts_on, "response_days": response_days}
            )
            await context.bus.handle(UpdateOpening(changed))
            message = f"Session {opening_id} mise à jour : {seats} places, démarrage le {starts_on.isoformat()}."
    flash(request, message)
    return RedirectResponse("/console/partenaire/sessions", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/cles", response_class=HTMLResponse)
async def keys(request: Request, partner: PartnerPerson, context: ContextDep) -> HTMLResponse:
    request.state.person = partner
    assert partner.partner_id is not None
    return page(
        request,
        "partner_keys.html",
        keys=await context.credentials.partner_keys(partner.partner_id),
        issued=None,
        message=take_flash(request),
    )


@router.post("/cles", response_class=HTMLResponse)
async def issue_key(request: Request, partner: PartnerPerson, context: ContextDep) -> HTMLResponse:
    """A new key, shown once on this page (only its hash is kept)."""
    await check_csrf(request)
    request.state.person = partner
    assert partner.partner_id is not None
    issued = await context.credentials.issue_key(Role.PARTNER, partner.partner_id, context.clock())
    return page(
        request,
        "partner_keys.html",
        keys=await context.credentials.partner_keys(partner.partner_id),
        issued=issued,
        message=None,
    )


@router.post("/cles/{key_id}/revoquer")
async def revoke_key(request: Request, key_id: str, partner: PartnerPerson, context: ContextDep) -> RedirectResponse:
    await check_csrf(request)
    assert partner.partner_id is not None
    mine = {k["key_id"] for k in await context.credentials.partner_keys(partner.partner_id)}
    if key_id not in mine:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Clé introuvable.")
    await context.credentials.revoke(key_id)
    flash(request, f"Clé {key_id} révoquée : elle est refusée dès maintenant.")
    return RedirectResponse("/console/partenaire/cles", status_code=status.HTTP_303_SEE_OTHER)
