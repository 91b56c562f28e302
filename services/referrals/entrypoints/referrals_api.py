"""Referral lifecycle over HTTP: partners answer, auditors withdraw or refer by hand, everyone reads."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.referrals.domain.referral_view import PartnerReferralView, ReferralView, for_partner, sent_to_partner
from services.referrals.domain.signing import ContactDetails
from services.referrals.entrypoints.dependencies import ContextDep, ReferralsContext
from services.referrals.service_layer.commands import ChangeStatus, DiscloseContact, RecordOutcome, ReferByHand
from services.referrals.service_layer.disclosure import DisclosureRefused, shares_contact
from shared.contract.human_text import FreeText
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralStatus
from shared.http.auth import AuditorDep, AuditorOrPartnerDep, PartnerDep
from shared.http.errors import KEYED, UNAVAILABLE, errors
from shared.principals import Role

router = APIRouter(prefix="/v1", tags=["referrals"], responses=errors(*KEYED, *UNAVAILABLE))
ANSWER_ERRORS = errors(400, 404, 409)  # malformed body; no such referral (or another's); not from this status


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText | None = Field(None, max_length=500)


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DeclineReason
    note: FreeText | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _other_needs_words(self) -> Self:
        if self.reason is DeclineReason.OTHER and not (self.note and self.note.strip()):
            raise ValueError("note is required when reason is 'other'")
        return self


class Enrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText | None = Field(None, max_length=500)
    started_early: bool = Field(
        False, description="The cohort started before its announced date: enrolling earlier needs this and a note"
    )

    @model_validator(mode="after")
    def _early_needs_words(self) -> Self:
        if self.started_early and not (self.note and self.note.strip()):
            raise ValueError("une note est requise avec started_early / note is required when started_early is true")
        return self


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: OutcomeAtThreeMonths


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: Literal["newcomer", "auditor"]
    note: FreeText | None = Field(None, max_length=500)


class ManualReferral(BaseModel):
    model_config = ConfigDict(extra="forbid")

    beneficiary_id: str
    opening_id: str
    note: FreeText = Field(min_length=3, max_length=500, description="Why the auditor overrides the matcher")


class FunnelLine(BaseModel):
    programme: str
    proposed: int
    accepted: int
    enrolled: int
    completed: int
    employed: int
    in_training: int
    acceptance_rate: float | None
    enrolment_rate: float | None
    completion_rate: float | None
    employment_rate: float | None


async def _visible_referral(referral_id: str, caller: AuditorOrPartnerDep, context: ContextDep) -> ReferralView:
    """The referral, if the caller may see it: auditors all, a partner its own (others look absent)."""
    view = await context.views.get(referral_id)
    if view is None or (
        caller.role is Role.PARTNER and (caller.partner_id != view.partner_id or not sent_to_partner(view))
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"referral {referral_id} does not exist")
    if caller.role is Role.AUDITOR and not caller.covers(view.candidate.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"referral {referral_id} does not exist")
    return view


async def _partners_referral(
    view: Annotated[ReferralView, Depends(_visible_referral)], partner: PartnerDep
) -> ReferralView:
    return view


ReferralDep = Annotated[ReferralView, Depends(_visible_referral)]
OwnReferralDep = Annotated[ReferralView, Depends(_partners_referral)]


async def _as_partner_sees(context: ReferralsContext, view: ReferralView) -> PartnerReferralView:
    """The referral without who the person is, unless accepted and they consent now."""
    return for_partner(view, await shares_contact(context.store, view.beneficiary_id))


async def _partner_answer(
    view: ReferralView, wanted: ReferralStatus, context: ContextDep, note: str | None
) -> ReferralView:
    return await context.bus.handle(ChangeStatus(view.referral_id, wanted, f"partner:{view.partner_id}", note=note))


@router.get("/referrals/{referral_id}", response_model=ReferralView | PartnerReferralView, responses=errors(404))
async def get_referral(
    view: ReferralDep, caller: AuditorOrPartnerDep, context: ContextDep
) -> ReferralView | PartnerReferralView:
    """One referral with its full history and the next step (for its partner, without who the person is
    until accepted with their consent)."""
    return await _as_partner_sees(context, view) if caller.role is Role.PARTNER else view


@router.post("/referrals/{referral_id}/accept", response_model=PartnerReferralView, responses=ANSWER_ERRORS)
async def accept(view: OwnReferralDep, context: ContextDep, body: Note | None = None) -> PartnerReferralView:
    """The partner accepts the candidate; the held seat is confirmed."""
    return await _as_partner_sees(
        context, await _partner_answer(view, ReferralStatus.ACCEPTED, context, body.note if body else None)
    )


@router.post("/referrals/{referral_id}/waitlist", response_model=PartnerReferralView, responses=ANSWER_ERRORS)
async def waitlist(view: OwnReferralDep, context: ContextDep, body: Note | None = None) -> PartnerReferralView:
    """The partner has no seat now but keeps the candidate on its waiting list."""
    return await _as_partner_sees(
        context, await _partner_answer(view, ReferralStatus.WAITLISTED, context, body.note if body else None)
    )


@router.post("/referrals/{referral_id}/enrol", response_model=PartnerReferralView, responses=ANSWER_ERRORS)
async def enrol(view: OwnReferralDep, context: ContextDep, body: Enrolment | None = None) -> PartnerReferralView:
    """The newcomer started the programme (not before the cohort's start date, unless it started early)."""
    body = body or Enrolment()
    actor = f"partner:{view.partner_id}"
    return await _as_partner_sees(
        context,
        await context.bus.handle(
            ChangeStatus(
                view.referral_id, ReferralStatus.ENROLLED, actor, note=body.note, started_early=body.started_early
            )
        ),
    )


@router.post("/referrals/{referral_id}/complete", response_model=PartnerReferralView, responses=ANSWER_ERRORS)
async def complete(view: OwnReferralDep, context: ContextDep, body: Note | None = None) -> PartnerReferralView:
    """The newcomer completed the programme."""
    return await _as_partner_sees(
        context, await _partner_answer(view, ReferralStatus.COMPLETED, context, body.note if body else None)
    )


@router.post("/referrals/{referral_id}/drop-out", response_model=PartnerReferralView, responses=ANSWER_ERRORS)
async def drop_out(view: OwnReferralDep, context: ContextDep, body: Note | None = None) -> PartnerReferralView:
    """The newcomer left the programme before its end."""
    return await _as_partner_sees(
        context, await _partner_answer(view, ReferralStatus.DROPPED_OUT, context, body.note if body else None)
    )


@router.post("/referrals/{referral_id}/decline", response_model=PartnerReferralView, responses=ANSWER_ERRORS)
async def decline(view: OwnReferralDep, body: Decline, context: ContextDep) -> PartnerReferralView:
    """The partner declines, with a structured reason; the newcomer is referred elsewhere."""
    actor = f"partner:{view.partner_id}"
    return await _as_partner_sees(
        context,
        await context.bus.handle(
            ChangeStatus(view.referral_id, ReferralStatus.DECLINED, actor, decline_reason=body.reason, note=body.note)
        ),
    )


@router.post("/referrals/{referral_id}/outcome", response_model=PartnerReferralView, responses=ANSWER_ERRORS)
async def record_outcome(view: OwnReferralDep, body: Outcome, context: ContextDep) -> PartnerReferralView:
    """The situation 3 months on: employed, in training or none (teaches the matcher)."""
    return await _as_partner_sees(
        context, await context.bus.handle(RecordOutcome(view.referral_id, body.outcome, f"partner:{view.partner_id}"))
    )


@router.get("/referrals/{referral_id}/contact", response_model=ContactDetails, responses=errors(404))
async def contact_details(view: OwnReferralDep, partner: PartnerDep, context: ContextDep) -> ContactDetails:
    """The newcomer's contact details, for the partner that accepted them, if they consented (audited)."""
    try:
        return await context.bus.handle(DiscloseContact(view, partner))
    except DisclosureRefused as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc


@router.post("/referrals/{referral_id}/withdraw", response_model=ReferralView, responses=ANSWER_ERRORS)
async def withdraw(referral_id: str, body: Withdrawal, auditor: AuditorDep, context: ContextDep) -> ReferralView:
    """The newcomer or the auditor withdraws the referral; the seat is released."""
    view = await context.views.get(referral_id)
    if view is not None and not auditor.covers(view.candidate.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"referral {referral_id} does not exist")
    by = "newcomer" if body.by == "newcomer" else auditor.actor
    return await context.bus.handle(ChangeStatus(referral_id, ReferralStatus.WITHDRAWN, by, note=body.note))


@router.post(
    "/referrals", response_model=ReferralView, status_code=status.HTTP_201_CREATED, responses=errors(400, 404, 409)
)
async def refer_by_hand(body: ManualReferral, auditor: AuditorDep, context: ContextDep) -> ReferralView:
    """An auditor proposes a referral by hand, overriding the matcher, with the reason recorded."""
    signing = await context.store.get_signing(body.beneficiary_id)
    if signing is not None and not auditor.covers(signing.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no CIR signing recorded for {body.beneficiary_id}")
    return await context.bus.handle(ReferByHand(body.beneficiary_id, body.opening_id, body.note, auditor.actor))


@router.get("/partners/{partner_id}/referrals", response_model=list[PartnerReferralView])
async def partner_referrals(
    partner_id: str,
    partner: PartnerDep,
    context: ContextDep,
    status_filter: Annotated[ReferralStatus | None, Query(alias="status")] = None,
) -> list[PartnerReferralView]:
    """A partner's own referrals, optionally of one status; who each person is only once accepted with
    their consent."""
    if partner.partner_id != partner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a partner sees only its own referrals")
    return [await _as_partner_sees(context, view) for view in await context.views.of_partner(partner_id, status_filter)]


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


@router.get("/stats/funnel", response_model=list[FunnelLine])
async def funnel(auditor: AuditorDep, context: ContextDep) -> list[FunnelLine]:
    """Per programme: proposed → accepted → enrolled → completed → employed, with rates."""
    lines = []
    for programme, n in (await context.views.funnel()).items():
        lines.append(
            FunnelLine(
                programme=programme,
                **n,
                acceptance_rate=_rate(n["accepted"], n["proposed"]),
                enrolment_rate=_rate(n["enrolled"], n["accepted"]),
                completion_rate=_rate(n["completed"], n["enrolled"]),
                employment_rate=_rate(n["employed"], n["completed"]),
            )
        )
    return lines
