"""What Passerelle holds about one person, gathered for them (RGPD art. 15, the right of access): the
signing with its contact details, every profile version, every consent version, the latest proposal,
every referral with its history, and the audit records about them (each disclosure of their contact
details, each export). The export is itself audited."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.referrals.domain.errors import NotFound
from services.referrals.domain.records import ProfileVersion
from services.referrals.domain.referral_view import ReferralView
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.service_layer.consent import ConsentVersion, readable
from services.referrals.service_layer.erasure import refuse_if_erased
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.ports import Records, Views
from shared.contract.events import AuditRecord, MatchingProposal
from shared.messaging.projections import Publisher

EXPORTED = "personal_data_exported"


class PersonalData(BaseModel):
    beneficiary_id: str
    exported_at: datetime
    exported_by: str
    signing: CirSigningCreate = Field(description="The CIR signing as recorded, contact details included")
    profile_versions: list[ProfileVersion]
    consent: list[ConsentVersion] = Field(description="Every version, oldest first")
    latest_proposal: MatchingProposal | None
    referrals: list[ReferralView]
    audit: list[AuditRecord] = Field(description="Disclosures of their data and exports, oldest first")


async def export_personal_data(
    beneficiary_id: str, by: str, at: datetime, store: Records, views: Views, audit: Publisher, keyring: Keyring
) -> PersonalData:
    refuse_if_erased(await store.erasure_of(beneficiary_id))
    signing = await store.get_signing(beneficiary_id)
    if signing is None:
        raise NotFound(f"aucun CIR enregistré pour {beneficiary_id} / no CIR signing for it")
    record = AuditRecord(actor=by, action=EXPORTED, subject=beneficiary_id, at=at)
    await audit.publish(record, key=beneficiary_id)  # recorded before anything is returned
    return PersonalData(
        beneficiary_id=beneficiary_id,
        exported_at=at,
        exported_by=by,
        signing=signing,
        profile_versions=await store.history(beneficiary_id),
        consent=await readable(await store.consents(beneficiary_id), keyring),
        latest_proposal=await store.latest_proposal(beneficiary_id),
        referrals=await views.of_beneficiary(beneficiary_id),
        audit=await store.audit_of(beneficiary_id),
    )
