"""The newcomer's rights over HTTP, exercised through the auditors of their territory: their consent (read
it with its history, record a change, in effect at once), access to everything held about them, and
erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from services.referrals.entrypoints.dependencies import ContextDep, ReferralsContext
from services.referrals.entrypoints.territory import no_signing
from services.referrals.service_layer.commands import ChangeConsent, ErasePersonalData, ExportPersonalData
from services.referrals.service_layer.consent import ConsentVersion, readable
from services.referrals.service_layer.erasure import refuse_if_erased
from services.referrals.service_layer.personal_data import PersonalData
from shared.contract.events import AuditRecord, ConsentChannel
from shared.contract.human_text import FreeText, OneLineText
from shared.http.auth import AuditorDep
from shared.http.errors import KEYED, UNAVAILABLE, errors
from shared.principals import Principal

router = APIRouter(prefix="/v1", tags=["consent"], responses=errors(*KEYED, *UNAVAILABLE))


class ConsentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_with_accepting_partner: bool = Field(
        description="The partner that accepts the person may read their contact details"
    )
    candidate_pools: bool = Field(description="The person may be shown, minimised, in other partners' pools")
    pool_programmes: list[Annotated[OneLineText, Field(max_length=80)]] | None = Field(
        None, max_length=50, description="Only these programmes' pools; null for all (with candidate_pools)"
    )
    channel: ConsentChannel = Field(description="How the person told us")
    note: FreeText | None = Field(None, max_length=300)


class Consent(BaseModel):
    beneficiary_id: str
    current: ConsentVersion
    history: list[ConsentVersion] = Field(description="Every version, oldest first")


class Erasure(BaseModel):
    beneficiary_id: str
    erased_at: datetime
    erased_by: str
    erased: list[str] = Field(description="What was erased; the person's referrals and outcomes stay, unlinked")


def _erasure(record: AuditRecord) -> Erasure:
    return Erasure(beneficiary_id=record.subject, erased_at=record.at, erased_by=record.actor, erased=record.fields)


async def _covered(beneficiary_id: str, auditor: Principal, context: ReferralsContext) -> None:
    """The person is on the auditor's territory (410 if erased there); elsewhere, as if they never signed."""
    erasure = await context.store.erasure_of(beneficiary_id)
    if erasure is not None and auditor.covers_file(erasure.department):
        refuse_if_erased(erasure)
    signing = await context.store.get_signing(beneficiary_id)
    if signing is None or not auditor.covers(signing.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, no_signing(beneficiary_id))


async def _consent(beneficiary_id: str, context: ReferralsContext) -> Consent:
    history = await context.store.consents(beneficiary_id)
    if not history:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"aucun consentement enregistré pour {beneficiary_id} / no consent recorded for {beneficiary_id}",
        )
    versions = await readable(history, context.keyring)
    return Consent(beneficiary_id=beneficiary_id, current=versions[-1], history=versions)


@router.get("/beneficiaries/{beneficiary_id}/consent", response_model=Consent, responses=errors(404, 410))
async def get_consent(beneficiary_id: str, auditor: AuditorDep, context: ContextDep) -> Consent:
    """The person's consent now, and every version before it."""
    await _covered(beneficiary_id, auditor, context)
    return await _consent(beneficiary_id, context)


@router.put("/beneficiaries/{beneficiary_id}/consent", response_model=Consent, responses=errors(400, 404, 410))
async def put_consent(beneficiary_id: str, change: ConsentChange, auditor: AuditorDep, context: ContextDep) -> Consent:
    """Record what the person now agrees to. Withdrawing `candidate_pools` stops new pool entries at once
    and tells each partner that holds one to delete it; referrals to the proposed partner go on."""
    await _covered(beneficiary_id, auditor, context)
    await context.bus.handle(
        ChangeConsent(
            beneficiary_id, change.contact_with_accepting_partner, change.candidate_pools, change.pool_programmes,
            change.channel, auditor.actor, context.clock(), change.note,
        )
    )  # fmt: skip
    return await _consent(beneficiary_id, context)


@router.get("/beneficiaries/{beneficiary_id}/export", response_model=PersonalData, responses=errors(404, 410))
async def export(beneficiary_id: str, auditor: AuditorDep, context: ContextDep) -> PersonalData:
    """Everything Passerelle holds about the person, as JSON, for them (RGPD art. 15); the export is
    recorded on the audit topic."""
    await _covered(beneficiary_id, auditor, context)
    return await context.bus.handle(ExportPersonalData(beneficiary_id, auditor.actor, context.clock()))


@router.delete("/beneficiaries/{beneficiary_id}", response_model=Erasure, responses=errors(404, 409))
async def erase(
    beneficiary_id: str,
    auditor: AuditorDep,
    context: ContextDep,
    channel: Annotated[ConsentChannel, Query(description="How the person asked")] = ConsentChannel.API,
) -> Erasure:
    """Erase the person (RGPD art. 17): their key is destroyed, so the private log can no longer be read
    for them; their signing, contact details, profile versions, consent and audit views go; partners
    holding a pool entry are told to delete it. Their referrals and outcomes stay, unlinked from any name.
    Refused (409) while one of their referrals is open. Erasing again answers with the first erasure."""
    done = await context.store.erasure_of(beneficiary_id)
    if done is None:
        await _covered(beneficiary_id, auditor, context)
        done = await context.bus.handle(ErasePersonalData(beneficiary_id, auditor.actor, context.clock(), channel))
    elif not auditor.covers_file(done.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, no_signing(beneficiary_id))
    return _erasure(done)
