"""The right to erasure (RGPD art. 17) and the retention limit, by crypto-shredding.

Erasing a person: their consent is withdrawn first (notifications tells every partner that holds a pool
entry of them to delete it), then their key is destroyed and their signing tombstoned on the private log,
then the erasure is audited. The audit record is what makes referrals forget them — now, and in any
rebuild of its Redis from the log — and the one record of them that stays. Their pseudonymous referrals
and outcomes stay, for the partners' follow-up and for learning; nothing links them to a name any more.

Retention: a person is erased `months` after their last referral closed (or after their signing, if
none was ever made), by a sweep that runs with the service's clock."""

from __future__ import annotations

import calendar
import logging
from datetime import UTC, datetime, time

from services.referrals.domain.errors import Conflict, Erased, NotFound
from services.referrals.domain.records import ERASED_FIELDS, PERSONAL_DATA_ERASED, key_record_key
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.service_layer.consent import change_consent, current_consent
from services.referrals.service_layer.handlers import Publishers
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.ports import Records, Views
from shared.contract.events import AuditRecord, ConsentChannel
from shared.contract.lifecycle import RELEASES_SEAT

log = logging.getLogger(__name__)
RETENTION_ACTOR = "system:retention"
CLOSED = RELEASES_SEAT  # a referral in one of these states is over: nothing more will happen to it


def erased_message(erasure: AuditRecord) -> str:
    return (
        f"les données de {erasure.subject} ont été effacées le {erasure.at:%d/%m/%Y}"
        f" / the data of {erasure.subject} was erased on {erasure.at:%Y-%m-%d}"
    )


async def erase_personal_data(
    beneficiary_id: str,
    by: str,
    at: datetime,
    channel: ConsentChannel,
    store: Records,
    views: Views,
    keyring: Keyring,
    publishers: Publishers,
) -> AuditRecord:
    """Erase the person; erasing them again answers with the first erasure. Refused while one of their
    referrals is still open: the partner is working with them (withdraw it first)."""
    done = await store.erasure_of(beneficiary_id)
    if done is not None:
        return done
    signing = await store.get_signing(beneficiary_id)
    keys = await keyring.keys.all_of(beneficiary_id)
    if signing is None and not keys:
        raise NotFound(f"aucun CIR enregistré pour {beneficiary_id} / no CIR signing for it")
    open_referrals = [v.referral_id for v in await views.of_beneficiary(beneficiary_id) if v.status not in CLOSED]
    if open_referrals:
        raise Conflict(
            f"{len(open_referrals)} orientation(s) en cours ({', '.join(open_referrals)}) : retirez-les avant"
            f" d'effacer les données / {len(open_referrals)} referral(s) still open: withdraw them first"
        )
    consent = await current_consent(store, beneficiary_id)
    if consent is not None and (consent.contact_with_accepting_partner or consent.candidate_pools):
        await change_consent(
            beneficiary_id, False, False, None, channel, by, at, "effacement des données / erasure", store,
            publishers, keyring,
        )  # fmt: skip
    for key in keys:  # from here on, the log cannot be read for them
        await publishers.keys.tombstone(key_record_key(beneficiary_id, key.key_id))
    await publishers.signings.tombstone(beneficiary_id)
    erasure = AuditRecord(
        actor=by, action=PERSONAL_DATA_ERASED, subject=beneficiary_id, fields=list(ERASED_FIELDS), at=at,
        department=signing.department if signing is not None else None,
    )  # fmt: skip
    await publishers.audit.publish(erasure, key=beneficiary_id)  # projected: referrals forgets them
    log.info("personal data erased", extra={"beneficiary_id": beneficiary_id, "by": by})
    return erasure


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


async def last_activity(signing: CirSigningCreate, store: Records, views: Views) -> datetime | None:
    """When the person's last referral closed (or when they signed, if they never had one); None while a
    referral of theirs is open."""
    referrals = await views.of_beneficiary(signing.beneficiary_id)
    if any(view.status not in CLOSED for view in referrals):
        return None
    history = await store.history(signing.beneficiary_id)
    signed = history[0].at if history else datetime.combine(signing.cir_signed_on, time(), tzinfo=UTC)
    if signed.tzinfo is None:
        signed = signed.replace(tzinfo=UTC)
    return max([signed, *(view.updated_at for view in referrals)])


async def due_for_erasure(now: datetime, months: int, store: Records, views: Views) -> list[str]:
    """Who has been kept `months` past their last referral's close (or their signing, if none)."""
    due = []
    for signing in await store.all_signings():
        last = await last_activity(signing, store, views)
        if last is not None and add_months(last, months) <= now:
            due.append(signing.beneficiary_id)
    return due


def refuse_if_erased(erasure: AuditRecord | None) -> None:
    if erasure is not None:
        raise Erased(erased_message(erasure))
