"""Auditors: record CIR signings and see a newcomer's proposals and referrals."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel

from services.referrals.domain.errors import Conflict, InvalidFields
from services.referrals.domain.referral_view import ReferralView
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.entrypoints.dependencies import ContextDep
from services.referrals.entrypoints.territory import conflict_detail
from services.referrals.service_layer.commands import AmendProfile, RecordSigning
from shared.contract.events import MatchingProposal
from shared.http.auth import AuditorDep
from shared.http.errors import KEYED, UNAVAILABLE, errors

OUTSIDE_TERRITORY = "département hors de votre territoire / département outside your territory"
router = APIRouter(prefix="/v1", tags=["signings"], responses=errors(*KEYED, *UNAVAILABLE))


class SigningAccepted(BaseModel):
    beneficiary_id: str
    created: bool
    referrals_url: str


class BeneficiaryReferrals(BaseModel):
    beneficiary_id: str
    proposal: MatchingProposal | None
    referrals: list[ReferralView]


@router.post(
    "/cir-signings",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SigningAccepted,
    responses=errors(400, 403, 409),
)
async def post_cir_signing(
    signing: CirSigningCreate, auditor: AuditorDep, context: ContextDep, response: Response
) -> SigningAccepted:
    """Record a CIR signing and the newcomer's profile; matching answers asynchronously."""
    if not auditor.covers(signing.department):
        raise HTTPException(status.HTTP_403_FORBIDDEN, OUTSIDE_TERRITORY)
    try:
        created = await context.bus.handle(RecordSigning(signing, auditor.actor, context.clock()))
    except Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, conflict_detail(auditor, exc)) from exc
    url = f"/v1/beneficiaries/{signing.beneficiary_id}/referrals"
    response.headers["Location"] = url
    return SigningAccepted(beneficiary_id=signing.beneficiary_id, created=created, referrals_url=url)


@router.get("/beneficiaries/{beneficiary_id}/referrals", response_model=BeneficiaryReferrals, responses=errors(404))
async def get_beneficiary_referrals(
    beneficiary_id: str, auditor: AuditorDep, context: ContextDep
) -> BeneficiaryReferrals:
    """A newcomer's latest proposal and their referrals (each with its full history), oldest first."""
    signing = await context.store.get_signing(beneficiary_id)
    if signing is None or not auditor.covers(signing.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no CIR signing recorded for {beneficiary_id}")
    return BeneficiaryReferrals(
        beneficiary_id=beneficiary_id,
        proposal=await context.store.latest_proposal(beneficiary_id),
        referrals=await context.views.of_beneficiary(beneficiary_id),
    )


class ProfileAmended(BaseModel):
    beneficiary_id: str
    version: int
    referrals_url: str


@router.put(
    "/beneficiaries/{beneficiary_id}/profile",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ProfileAmended,
    responses=errors(400, 403, 404),
)
async def put_profile(
    beneficiary_id: str, signing: CirSigningCreate, auditor: AuditorDep, context: ContextDep
) -> ProfileAmended:
    """Amend a newcomer's profile (a French level certified, a diploma recognised, a move, an RSA
    application): a new version is recorded and matched again at once; the same facts again change nothing."""
    if signing.beneficiary_id != beneficiary_id:
        raise InvalidFields([(("beneficiary_id",), "ne correspond pas à l'adresse / does not match the URL")])
    existing = await context.store.get_signing(beneficiary_id)
    if existing is not None and not auditor.covers(existing.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no CIR signing recorded for {beneficiary_id}")
    if not auditor.covers(signing.department):
        raise HTTPException(status.HTTP_403_FORBIDDEN, OUTSIDE_TERRITORY)
    version = await context.bus.handle(AmendProfile(signing, auditor.actor, context.clock()))
    url = f"/v1/beneficiaries/{beneficiary_id}/referrals"
    return ProfileAmended(beneficiary_id=beneficiary_id, version=version, referrals_url=url)
