"""The partner's workspace: an inbox of their referrals by status (overdue first), each answered from its
page — accept, waitlist, decline with a coded reason, enrol, complete, drop out, the outcome at three
months — and the contact details once accepted (audited). Another partner's referral answers 404."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.referrals.console.occupations import OccupationReferential
from services.referrals.console.rendering import page
from services.referrals.console.sessions import PartnerPerson, check_csrf, flash, take_flash
from services.referrals.console.spreadsheet_cells import spreadsheet_cell
from services.referrals.domain.errors import InvalidFields
from services.referrals.domain.lifecycle import AWAITING_ANSWER, IllegalTransition, NotBeforeStart
from services.referrals.domain.referral_view import ReferralView, for_partner, sent_to_partner
from services.referrals.entrypoints.dependencies import ContextDep, ReferralsContext
from services.referrals.service_layer.commands import ChangeStatus, DiscloseContact, RecordOutcome
from services.referrals.service_layer.disclosure import DisclosureRefused, shares_contact
from services.referrals.wording import french
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralStatus
from shared.principals import Principal

router = APIRouter(prefix="/console/partenaire", include_in_schema=False)
ACTIONS = {
    "accepter": ReferralStatus.ACCEPTED,
    "liste-attente": ReferralStatus.WAITLISTED,
    "refuser": ReferralStatus.DECLINED,
    "entree": ReferralStatus.ENROLLED,
    "fin": ReferralStatus.COMPLETED,
    "abandon": ReferralStatus.DROPPED_OUT,
}
DONE = {
    ReferralStatus.ACCEPTED: "Orientation acceptée : la place est confirmée.",
    ReferralStatus.WAITLISTED: "Personne placée en liste d'attente.",
    ReferralStatus.DECLINED: "Orientation refusée : la personne sera orientée ailleurs.",
    ReferralStatus.ENROLLED: "Entrée en parcours enregistrée.",
    ReferralStatus.COMPLETED: "Fin de parcours enregistrée.",
    ReferralStatus.DROPPED_OUT: "Abandon enregistré.",
}


def is_overdue(view: ReferralView, now: datetime) -> bool:
    return view.status in AWAITING_ANSWER and view.respond_by is not None and view.respond_by < now


async def _own_referral(referral_id: str, partner: Principal, context: ReferralsContext) -> ReferralView:
    view = await context.views.get(referral_id)
    if view is None or view.partner_id != partner.partner_id or not sent_to_partner(view):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Orientation introuvable.")
    return view


def _inbox_order(views: list[ReferralView], now: datetime) -> list[ReferralView]:
    """Overdue first, then the nearest deadline, then the most recent."""
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(views, key=lambda v: (not is_overdue(v, now), v.respond_by or far, -v.updated_at.timestamp()))


@router.get("", response_class=HTMLResponse)
async def inbox(request: Request, partner: PartnerPerson, context: ContextDep, statut: str = "") -> HTMLResponse:
    request.state.person = partner
    assert partner.partner_id is not None
    every = await context.views.of_partner(partner.partner_id)
    counts = {s: sum(1 for v in every if v.status is s) for s in ReferralStatus}
    chosen = ReferralStatus(statut) if statut in {s.value for s in ReferralStatus} else None
    shown = [v for v in every if chosen is None or v.status is chosen]
    now = context.clock()
    structure = await context.credentials.partner(partner.partner_id)
    return page(
        request,
        "partner_inbox.html",
        referrals=_inbox_order(shown, now),
        counts=counts,
        chosen=chosen,
        now=now,
        overdue=lambda v: is_overdue(v, now),
        structure=(structure or {}).get("name", partner.partner_id),
        occupations=request.app.state.occupations,
    )


@router.get("/export.csv")
async def export(partner: PartnerPerson, context: ContextDep) -> Response:
    """The partner's referrals as CSV (semicolon-separated, as French spreadsheets expect)."""
    assert partner.partner_id is not None
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            "orientation",
            "programme",
            "session",
            "statut",
            "répondre avant",
            "tranche d'âge",
            "français",
            "département",
            "métiers",
            "créée le",
            "mise à jour le",
        ]
    )
    for view in await context.views.of_partner(partner.partner_id):
        row = [
            view.referral_id,
            view.programme,
            view.opening_id,
            french.STATUS[view.status],
            view.respond_by.date().isoformat() if view.respond_by else "",
            french.age_band(view.candidate.age_band),
            view.candidate.french_level.value if view.candidate.french_level else "",
            view.candidate.department,
            " ".join(view.candidate.occupations),
            view.created_at.date().isoformat(),
            view.updated_at.date().isoformat(),
        ]
        writer.writerow([spreadsheet_cell(value) for value in row])  # never a formula (OWASP CSV injection)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="orientations-{partner.partner_id}.csv"'},
    )


@router.get("/orientations/{referral_id}", response_class=HTMLResponse)
async def referral_page(
    request: Request, referral_id: str, partner: PartnerPerson, context: ContextDep
) -> HTMLResponse:
    """One referral; its contact details only through the POST below (a GET records nothing)."""
    return await _referral_page(request, referral_id, partner, context, disclose=False)


@router.post("/orientations/{referral_id}/coordonnees", response_class=HTMLResponse)
async def disclose_contact(
    request: Request, referral_id: str, partner: PartnerPerson, context: ContextDep
) -> HTMLResponse:
    """The referral with the person's contact details, once accepted and if they consented (audited)."""
    await check_csrf(request)
    return await _referral_page(request, referral_id, partner, context, disclose=True)


async def _referral_page(
    request: Request, referral_id: str, partner: Principal, context: ReferralsContext, disclose: bool
) -> HTMLResponse:
    request.state.person = partner
    view = await _own_referral(referral_id, partner, context)
    occupations: OccupationReferential = request.app.state.occupations
    contact = None
    contact_refusal = None
    if disclose:
        try:
            contact = await context.bus.handle(DiscloseContact(view, partner))
        except DisclosureRefused as exc:
            contact_refusal = _french_refusal(str(exc))
    shown = for_partner(view, await shares_contact(context.store, view.beneficiary_id))  # as the API shows it
    return page(
        request,
        "partner_referral.html",
        view=shown,
        opening=await context.store.get_opening(view.opening_id),
        occupations=occupations,
        overdue=is_overdue(view, context.clock()),
        contact=contact,
        contact_refusal=contact_refusal,
        message=take_flash(request),
        form_action=f"/console/partenaire/orientations/{referral_id}",
        reasons=list(DeclineReason),
        outcomes=list(OutcomeAtThreeMonths),
    )


def _french_refusal(message: str) -> str:
    if "consented" in message:
        return "La personne n'a pas consenti à partager ses coordonnées."
    if "no contact" in message:
        return "Aucune coordonnée n'a été enregistrée pour cette personne."
    return "Les coordonnées sont communiquées une fois l'orientation acceptée."


@router.post("/orientations/{referral_id}/{action}")
async def act(
    request: Request,
    referral_id: str,
    action: str,
    partner: PartnerPerson,
    context: ContextDep,
    motif: str = Form(""),
    message: str = Form(""),
    situation: str = Form(""),
    commencee_plus_tot: str = Form(""),
) -> RedirectResponse:
    await check_csrf(request)
    view = await _own_referral(referral_id, partner, context)
    note = message.strip()[:500] or None
    try:
        done = await answer(context, view, action, partner.actor, motif, note, situation, commencee_plus_tot == "oui")
    except HTTPException:
        raise
    except NotBeforeStart as exc:
        done = (
            f"Entrée impossible avant le démarrage de la session ({french.long_date(exc.starts_on)}) :"
            " cochez « session commencée plus tôt » et expliquez-le."
        )
    except IllegalTransition as exc:
        done = f"Action impossible : l'orientation est « {french.STATUS[ReferralStatus(exc.current)]} »."
    except InvalidFields as exc:
        done = " ".join(m.split(" / ")[0] for _, m in exc.problems)
    flash(request, done)
    return RedirectResponse(f"/console/partenaire/orientations/{referral_id}", status_code=status.HTTP_303_SEE_OTHER)


async def answer(
    context: ReferralsContext,
    view: ReferralView,
    action: str,
    actor: str,
    reason: str,
    note: str | None,
    outcome: str,
    started_early: bool,
) -> str:
    """One partner answer, from the workspace or an e-mail link; returns what to tell the person."""
    if action == "situation":
        if outcome not in {o.value for o in OutcomeAtThreeMonths}:
            return "Choisissez la situation à 3 mois."
        await context.bus.handle(RecordOutcome(view.referral_id, OutcomeAtThreeMonths(outcome), actor))
        return "Situation à 3 mois enregistrée : merci, elle améliore les prochaines orientations."
    wanted = ACTIONS.get(action)
    if wanted is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Action inconnue.")
    if wanted is ReferralStatus.DECLINED:
        if reason not in {r.value for r in DeclineReason}:
            return "Choisissez le motif du refus."
        if reason == DeclineReason.OTHER.value and not note:
            return "Motif « Autre » : précisez-le dans le message."
        await context.bus.handle(
            ChangeStatus(view.referral_id, wanted, actor, decline_reason=DeclineReason(reason), note=note)
        )
    elif wanted is ReferralStatus.ENROLLED:
        if started_early and not note:
            return "Session commencée plus tôt : expliquez-le dans le message."
        await context.bus.handle(ChangeStatus(view.referral_id, wanted, actor, note=note, started_early=started_early))
    else:
        await context.bus.handle(ChangeStatus(view.referral_id, wanted, actor, note=note))
    return DONE[wanted]
