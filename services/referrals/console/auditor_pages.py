"""The OFII auditor's console: find a newcomer, record the signing, read the proposals and the "why not",
amend the profile, withdraw or refer by hand, print the orientation sheet. An auditor sees only the
newcomers of their own territory (anyone else's file answers 404, as if it did not exist)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.referrals.console.forms import FormResult, form_values, french_part, parse_signing
from services.referrals.console.name_search import matches
from services.referrals.console.occupations import OccupationReferential
from services.referrals.console.rendering import page
from services.referrals.console.sessions import SEARCH, AuditorPerson, check_csrf, flash, take_flash
from services.referrals.domain.errors import Conflict, FileNumberTaken, InvalidFields, NotFound
from services.referrals.domain.lifecycle import IllegalTransition
from services.referrals.domain.records import ProfileVersion
from services.referrals.domain.referral_view import ReferralView
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.entrypoints.dependencies import ContextDep, ReferralsContext
from services.referrals.service_layer.commands import (
    UNDER_WAY,
    AmendProfile,
    ChangeConsent,
    ChangeStatus,
    ChooseInstead,
    ErasePersonalData,
    ExportPersonalData,
    RecordSigning,
    ReferByHand,
)
from shared.contract.events import ConsentChannel, MatchingProposal, NotEligible
from shared.contract.legal_delays import legal_deadline
from shared.contract.vocabulary import ReferralStatus
from shared.principals import Principal

router = APIRouter(prefix="/console/auditeur", include_in_schema=False)
FIELD_LABELS = {
    "beneficiary_id": "Numéro de dossier OFII",
    "given_name": "Prénom",
    "family_name": "Nom",
    "email": "E-mail",
    "phone": "Téléphone",
    "birth_date": "Date de naissance",
    "cir_signed_on": "Date de signature du CIR",
    "french_level": "Niveau de français",
    "diploma_level": "Niveau de diplôme",
    "occupations": "Métiers",
    "skills": "Compétences",
    "department": "Département",
    "mobility": "Mobilité",
    "housing": "Hébergement",
    "protection_status": "Statut",
    "rsa_applicant": "Demande de RSA",
    "rsa_applied_on": "Date de la demande de RSA",
    "return_country": "Pays de retour",
    "household_id": "Foyer",
    "consent_to_share": "Consentement",
    "contact": "Coordonnées",
    "preferences": "Préférences",
}


def _occupations(request: Request) -> OccupationReferential:
    referential: OccupationReferential = request.app.state.occupations
    return referential


async def _own_signing(beneficiary_id: str, auditor: Principal, context: ReferralsContext) -> CirSigningCreate:
    signing = await context.store.get_signing(beneficiary_id)
    if signing is None or not auditor.covers(signing.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Aucun dossier {beneficiary_id} sur votre territoire.")
    return signing


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    what: str
    who: str


def _timeline(
    history: list[ProfileVersion], referrals: list[ReferralView], proposal: MatchingProposal | None
) -> list[TimelineLine]:
    from services.referrals.wording import french

    lines = [
        TimelineLine(
            v.at,
            "Signature du CIR et profil (version 1)"
            if v.version == 1
            else f"Profil modifié (version {v.version}) : " + ", ".join(FIELD_LABELS.get(c, c) for c in v.changed),
            v.by,
        )
        for v in history
    ]
    if proposal is not None:
        lines.append(
            TimelineLine(
                proposal.decided_at, f"Propositions calculées (profil version {proposal.profile_version})", "matching"
            )
        )
    for referral in referrals:
        for entry in referral.history:
            what = f"{referral.programme} : {french.STATUS[entry.status]}"
            if entry.kind.value == "reminder":
                what = f"{referral.programme} : relance du partenaire"
            elif entry.kind.value == "outcome" and entry.outcome is not None:
                what = f"{referral.programme} : situation à 3 mois — {french.OUTCOME[entry.outcome]}"
            if entry.decline_reason is not None:
                what += f" ({french.DECLINE_REASON[entry.decline_reason]})"
            if entry.note:
                what += f" — « {entry.note} »"
            lines.append(TimelineLine(entry.at, what, entry.actor))
    return sorted(lines, key=lambda line: line.at)


async def _territory_page(
    request: Request, auditor: Principal, context: ReferralsContext, q: str, status_code: int = 200
) -> HTMLResponse:
    """The auditor's newcomers, those a search finds when there is one, the latest signed first."""
    found = []
    for signing in await context.store.all_signings():
        if not auditor.covers(signing.department):
            continue
        given, family = (signing.contact.given_name, signing.contact.family_name) if signing.contact else ("", "")
        if matches(q, given, family, signing.beneficiary_id):
            found.append(signing)
    found.sort(key=lambda s: (s.cir_signed_on, s.beneficiary_id), reverse=True)
    request.state.person = auditor
    return page(
        request, "auditor_home.html", status_code=status_code, q=q, signings=found[:200], total=len(found),
        message=take_flash(request),
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
async def home(request: Request, auditor: AuditorPerson, context: ContextDep) -> HTMLResponse:
    """The auditor's newcomers (no search here: a name in a URL ends up in histories and proxies' logs)."""
    return await _territory_page(request, auditor, context, "")


@router.post("/recherche")
async def search(request: Request, auditor: AuditorPerson, q: str = Form("")) -> RedirectResponse:
    """Find a newcomer by name or OFII file number: the query travels in the body and is kept in the
    session, never in a URL; the results are a page of their own, so Back and a reload show them again."""
    await check_csrf(request)
    request.session[SEARCH] = q[:100]
    return RedirectResponse("/console/auditeur/recherche", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/recherche", response_class=HTMLResponse)
async def search_results(request: Request, auditor: AuditorPerson, context: ContextDep) -> HTMLResponse:
    """The last search of this session (none yet: every newcomer of the territory)."""
    return await _territory_page(request, auditor, context, str(request.session.get(SEARCH, "")))


@router.get("/metiers")
async def occupations(request: Request, auditor: AuditorPerson, q: str = "") -> JSONResponse:
    """ROME 4.0 occupations matching a typed job title, for the form's suggestions."""
    found = _occupations(request).search(q) if len(q.strip()) >= 2 else []
    return JSONResponse([{"code": o.code, "libelle": o.title} for o in found])


def _blank_form(auditor: Principal, today: str) -> dict[str, str]:
    only = sorted(auditor.departments or ())
    return {"cir_signed_on": today, "department": only[0] if len(only) == 1 else ""}


@router.get("/signature", response_class=HTMLResponse)
async def new_signing(request: Request, auditor: AuditorPerson, context: ContextDep) -> HTMLResponse:
    request.state.person = auditor
    values = _blank_form(auditor, context.clock().date().isoformat())
    return page(request, "signing_form.html", values=values, errors={}, amending=None)


def _form_errors(result: FormResult, auditor: Principal) -> dict[str, str]:
    """What the form got wrong, then whether the newcomer lives on the auditor's territory."""
    if result.errors or result.signing is None:
        return result.errors
    if auditor.covers(result.signing.department):
        return {}
    return {"department": "Ce département n'est pas sur votre territoire."}


def _field_errors(exc: InvalidFields) -> dict[str, str]:
    """The use case's refusals, beside their fields, in French."""
    return {".".join(loc): french_part(message) for loc, message in exc.problems}


@router.post("/signature", response_class=HTMLResponse)
async def record(request: Request, auditor: AuditorPerson, context: ContextDep) -> Response:
    await check_csrf(request)
    request.state.person = auditor
    form = {k: str(v) for k, v in (await request.form()).items()}
    result = parse_signing(form, _occupations(request))
    errors = _form_errors(result, auditor)
    if not errors and result.signing is not None:
        try:
            await context.bus.handle(RecordSigning(result.signing, auditor.actor, context.clock()))
        except InvalidFields as exc:
            errors = _field_errors(exc)
        except Conflict as exc:
            taken = isinstance(exc, FileNumberTaken) and not auditor.covers_file(exc.department)
            errors = {"beneficiary_id": "Ce numéro de dossier est déjà utilisé." if taken else
                      "Ce dossier a déjà une signature : ouvrez-le et modifiez le profil."}  # fmt: skip
    if errors:
        return page(request, "signing_form.html", status_code=422, values=result.values, errors=errors, amending=None)
    assert result.signing is not None
    flash(request, "Signature enregistrée. Les propositions s'affichent ci-dessous dès qu'elles sont calculées.")
    return RedirectResponse(
        f"/console/auditeur/personnes/{result.signing.beneficiary_id}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/personnes/{beneficiary_id}", response_class=HTMLResponse)
async def person(request: Request, beneficiary_id: str, auditor: AuditorPerson, context: ContextDep) -> HTMLResponse:
    request.state.person = auditor
    signing = await _own_signing(beneficiary_id, auditor, context)
    proposal = await context.store.latest_proposal(beneficiary_id)
    referrals = await context.views.of_beneficiary(beneficiary_id)
    history = await context.store.history(beneficiary_id)
    openings = {o.opening_id: o for o in await context.store.list_openings()}
    waiting = proposal is None or proposal.profile_version < signing.version
    message = take_flash(request)
    if waiting and message:
        flash(request, message)  # the page reloads itself until the proposals are in: keep it until then
    return page(
        request,
        "person.html",
        signing=signing,
        proposal=None if waiting else proposal,
        waiting=waiting,
        referrals=referrals,
        openings=openings,
        occupations=_occupations(request),
        timeline=_timeline(history, referrals, proposal),
        not_eligible=[] if waiting or proposal is None else proposal.not_eligible,
        under_way={v.opening_id for v in referrals if v.status in UNDER_WAY},
        referred={v.opening_id for v in referrals},  # an opening tried once is not offered again here
        accepted=any(v.status is ReferralStatus.ACCEPTED for v in referrals),
        message=message,
        now=context.clock(),
        deadline=legal_deadline(signing.rsa_applied_on),
    )


@router.get("/personnes/{beneficiary_id}/modifier", response_class=HTMLResponse)
async def amend_form(
    request: Request, beneficiary_id: str, auditor: AuditorPerson, context: ContextDep
) -> HTMLResponse:
    request.state.person = auditor
    signing = await _own_signing(beneficiary_id, auditor, context)
    values = form_values(signing, _occupations(request))
    return page(request, "signing_form.html", values=values, errors={}, amending=signing)


@router.post("/personnes/{beneficiary_id}/modifier", response_class=HTMLResponse)
async def amend(request: Request, beneficiary_id: str, auditor: AuditorPerson, context: ContextDep) -> Response:
    await check_csrf(request)
    request.state.person = auditor
    existing = await _own_signing(beneficiary_id, auditor, context)
    form = {k: str(v) for k, v in (await request.form()).items()}
    form |= {"beneficiary_id": beneficiary_id, "cir_signed_on": existing.cir_signed_on.isoformat()}
    result = parse_signing(form, _occupations(request))
    errors = _form_errors(result, auditor)
    if not errors and result.signing is not None and form.get("confirme") != "1":
        # A referral the partner holds may be withdrawn by the new proposal: say so first, and ask.
        sent = [v for v in await context.views.of_beneficiary(beneficiary_id) if v.status is ReferralStatus.SENT]
        if sent:
            return page(request, "signing_form.html", values=result.values, errors={}, amending=existing, at_risk=sent)
    if not errors and result.signing is not None:
        try:
            version = await context.bus.handle(AmendProfile(result.signing, auditor.actor, context.clock()))
        except InvalidFields as exc:
            errors = _field_errors(exc)
        else:
            flash(request, f"Profil modifié : version {version} enregistrée et soumise à l'appariement.")
    if errors:
        return page(
            request, "signing_form.html", status_code=422, values=result.values, errors=errors, amending=existing
        )
    return RedirectResponse(f"/console/auditeur/personnes/{beneficiary_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/personnes/{beneficiary_id}/donnees", response_class=HTMLResponse)
async def personal_data_ask(
    request: Request, beneficiary_id: str, auditor: AuditorPerson, context: ContextDep
) -> HTMLResponse:
    """What the read-out is, and the button that makes it: a GET records nothing (a link from elsewhere
    cannot make a read-out appear on the person's audit trail)."""
    request.state.person = auditor
    signing = await _own_signing(beneficiary_id, auditor, context)
    return page(request, "person_data_ask.html", signing=signing)


@router.post("/personnes/{beneficiary_id}/donnees", response_class=HTMLResponse)
async def personal_data(
    request: Request, beneficiary_id: str, auditor: AuditorPerson, context: ContextDep
) -> HTMLResponse:
    """Everything held about the person, readable, for them (their right of access); audited."""
    await check_csrf(request)
    request.state.person = auditor
    await _own_signing(beneficiary_id, auditor, context)
    data = await context.bus.handle(ExportPersonalData(beneficiary_id, auditor.actor, context.clock()))
    return page(
        request, "person_data.html", data=data, channels=[c for c in ConsentChannel if c is not ConsentChannel.SYSTEM]
    )


def _channel(value: str) -> ConsentChannel:
    """The channel a form names, or 422."""
    try:
        return ConsentChannel(value)
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"Canal inconnu : {value}.") from None


@router.post("/personnes/{beneficiary_id}/consentement")
async def change_consent(
    request: Request,
    beneficiary_id: str,
    auditor: AuditorPerson,
    context: ContextDep,
    coordonnees: str = Form(""),
    viviers: str = Form(""),
    canal: str = Form(ConsentChannel.IN_PERSON.value),
    note: str = Form(""),
) -> RedirectResponse:
    """The person gives, narrows or withdraws consent, through the auditor: a new version, at once."""
    await check_csrf(request)
    await _own_signing(beneficiary_id, auditor, context)
    channel = _channel(canal)
    try:
        record = await context.bus.handle(
            ChangeConsent(
                beneficiary_id, coordonnees == "1", viviers == "1", None, channel, auditor.actor, context.clock(),
                note.strip()[:300] or None,
            )
        )  # fmt: skip
    except InvalidFields as exc:
        flash(request, "Consentement non enregistré. Note : " + " ".join(french_part(m) for _, m in exc.problems))
    else:
        flash(request, f"Consentement enregistré (version {record.version}).")
    return RedirectResponse(f"/console/auditeur/personnes/{beneficiary_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/personnes/{beneficiary_id}/effacer")
async def erase(
    request: Request,
    beneficiary_id: str,
    auditor: AuditorPerson,
    context: ContextDep,
    confirme: str = Form(""),
    canal: str = Form(ConsentChannel.IN_PERSON.value),
) -> RedirectResponse:
    """The person asks to be forgotten: their data is erased (refused while a referral is open)."""
    await check_csrf(request)
    await _own_signing(beneficiary_id, auditor, context)
    here = f"/console/auditeur/personnes/{beneficiary_id}"
    if confirme != "1":
        flash(request, "Effacement : cochez la case qui confirme la demande de la personne.")
        return RedirectResponse(here, status_code=status.HTTP_303_SEE_OTHER)
    channel = _channel(canal)
    try:
        erasure = await context.bus.handle(ErasePersonalData(beneficiary_id, auditor.actor, context.clock(), channel))
    except Conflict:
        flash(request, "Effacement impossible : une orientation est en cours. Retirez-la d'abord.")
        return RedirectResponse(here, status_code=status.HTTP_303_SEE_OTHER)
    flash(request, f"Les données du dossier {beneficiary_id} ont été effacées le {erasure.at:%d/%m/%Y}.")
    return RedirectResponse("/console/auditeur", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/personnes/{beneficiary_id}/fiche", response_class=HTMLResponse)
async def orientation_sheet(
    request: Request, beneficiary_id: str, auditor: AuditorPerson, context: ContextDep
) -> HTMLResponse:
    """One page for the newcomer to take home: the browser prints it (or saves it as PDF)."""
    request.state.person = auditor
    signing = await _own_signing(beneficiary_id, auditor, context)
    proposal = await context.store.latest_proposal(beneficiary_id)
    referrals = [
        r for r in await context.views.of_beneficiary(beneficiary_id) if r.status not in (ReferralStatus.WITHDRAWN,)
    ]
    openings = {o.opening_id: o for o in await context.store.list_openings()}
    remedies: list[NotEligible] = [n for n in (proposal.not_eligible if proposal else []) if n.remedies]
    return page(
        request,
        "sheet.html",
        signing=signing,
        referrals=referrals,
        openings=openings,
        remedies=remedies,
        now=context.clock(),
    )


@router.post("/orientations/{referral_id}/retirer")
async def withdraw(
    request: Request,
    referral_id: str,
    auditor: AuditorPerson,
    context: ContextDep,
    par: str = Form("newcomer"),
    note: str = Form(""),
) -> RedirectResponse:
    await check_csrf(request)
    view = await context.views.get(referral_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Orientation introuvable.")
    await _own_signing(view.beneficiary_id, auditor, context)
    by = "newcomer" if par == "newcomer" else auditor.actor
    message = "Orientation retirée."
    try:
        await context.bus.handle(
            ChangeStatus(referral_id, ReferralStatus.WITHDRAWN, by, note=note.strip()[:500] or None)
        )
    except IllegalTransition as exc:
        message = f"Impossible de retirer cette orientation : elle est « {exc.current.value} »."
    except InvalidFields as exc:
        message = "Note : " + " ".join(french_part(m) for _, m in exc.problems)
    flash(request, message)
    return RedirectResponse(f"/console/auditeur/personnes/{view.beneficiary_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/personnes/{beneficiary_id}/choisir")
async def choose_instead(
    request: Request, beneficiary_id: str, auditor: AuditorPerson, context: ContextDep, opening_id: str = Form("")
) -> Response:
    """The person prefers another of their proposals: referred there in one action, the referral under way
    withdrawn (« choix de la personne »)."""
    await check_csrf(request)
    await _own_signing(beneficiary_id, auditor, context)
    try:
        chosen = await context.bus.handle(ChooseInstead(beneficiary_id, opening_id, auditor.actor))
        message = f"Orientation vers {chosen.programme} envoyée, à la demande de la personne."
    except NotFound:
        message = "Cette session n'existe pas."
    except Conflict:
        message = (
            "Impossible : une orientation est déjà acceptée (retirez-la d'abord avec la structure), "
            "ou celle-ci est déjà en cours."
        )
    flash(request, message)
    return RedirectResponse(f"/console/auditeur/personnes/{beneficiary_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/personnes/{beneficiary_id}/orienter")
async def refer_by_hand(
    request: Request,
    beneficiary_id: str,
    auditor: AuditorPerson,
    context: ContextDep,
    opening_id: str = Form(""),
    motif: str = Form(""),
) -> Response:
    """A referral by hand: when the rules say "not eligible", the console has warned, and a reason is needed."""
    await check_csrf(request)
    await _own_signing(beneficiary_id, auditor, context)
    if len(motif.strip()) < 3:
        message = "Orientation manuelle : indiquez le motif (3 caractères au moins)."
    else:
        try:
            await context.bus.handle(ReferByHand(beneficiary_id, opening_id, motif.strip()[:500], auditor.actor))
            message = "Orientation manuelle enregistrée."
        except NotFound:
            message = "Cette session n'existe pas."
        except InvalidFields as exc:
            message = "Motif : " + " ".join(french_part(m) for _, m in exc.problems)
        except Conflict:
            message = "Cette personne a déjà une orientation vers cette session."
    flash(request, message)
    return RedirectResponse(f"/console/auditeur/personnes/{beneficiary_id}", status_code=status.HTTP_303_SEE_OTHER)
