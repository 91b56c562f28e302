"""Contact details leave referrals only to the partner that accepted the newcomer, with their consent,
and every disclosure is recorded on `ops.audit.v1`."""

from __future__ import annotations

from services.referrals.domain.errors import DomainError
from services.referrals.domain.referral_view import ACCEPTED_OR_LATER, ReferralView
from services.referrals.domain.signing import ContactDetails
from services.referrals.service_layer.consent import current_consent
from services.referrals.service_layer.handlers import Clock
from services.referrals.service_layer.ports import Records
from shared.contract.events import AuditRecord
from shared.messaging.projections import Publisher
from shared.principals import Principal

DISCLOSABLE_FROM = ACCEPTED_OR_LATER


class DisclosureRefused(DomainError):
    pass


async def shares_contact(store: Records, beneficiary_id: str) -> bool:
    """Does the person consent, now, to the accepting partner knowing who they are and how to reach
    them? Their latest consent record says; without one (data from before consent records), the signing."""
    consent = await current_consent(store, beneficiary_id)
    if consent is not None:
        return consent.contact_with_accepting_partner
    signing = await store.get_signing(beneficiary_id)
    return bool(signing and signing.consent_to_share)


async def disclose_contact(
    view: ReferralView, partner: Principal, store: Records, audit: Publisher, clock: Clock
) -> ContactDetails:
    if view.status not in DISCLOSABLE_FROM:
        raise DisclosureRefused(f"contact details are shared once the referral is accepted (it is {view.status.value})")
    signing = await store.get_signing(view.beneficiary_id)
    if signing is None or not await shares_contact(store, view.beneficiary_id):
        raise DisclosureRefused("the newcomer has not consented to share contact details")
    if signing.contact is None:
        raise DisclosureRefused("no contact details were recorded for this newcomer")
    fields = [name for name, value in signing.contact.model_dump().items() if value is not None]
    record = AuditRecord(
        actor=partner.actor,
        action="contact_disclosed",
        subject=view.beneficiary_id,
        referral_id=view.referral_id,
        fields=fields,
        at=clock(),
    )
    # The record is written before the data is returned: no disclosure without its trace.
    await audit.publish(record, key=view.beneficiary_id)
    return signing.contact
