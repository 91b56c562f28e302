"""The newcomer's consent as a record on `referrals.consent.v1`: given at signing (version 1, from the
signing's `consent_to_share`), changed or withdrawn afterwards, each change a new version with when, by
whom and through which channel. What reads it: the disclosure of contact details (scope
`contact_with_accepting_partner`), the candidate summary of each new referral (`candidate_pools`, per
programme), and notifications, which stops pool entries and sends tombstones on a withdrawal."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from services.referrals.domain.errors import NotFound
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.ports import Records
from shared.contract.events import ConsentChannel, ConsentRecorded
from shared.contract.events.consent import pools_allowed_by
from shared.messaging.projections import Publisher

CONSENT_NAMESPACE = uuid.UUID("8d3b5f0e-2a4c-4e6b-9c1d-7f2e3a4b5c6d")


def consent_event_id(beneficiary_id: str, version: int) -> str:
    """A version of a person's consent always has the same event id: a re-publication is recognisable."""
    return str(uuid.uuid5(CONSENT_NAMESPACE, f"{beneficiary_id}:{version}"))


def consent_at_signing(signing: CirSigningCreate, by: str, at: datetime) -> ConsentRecorded:
    """Version 1: what the person agreed to at the OFII interview (one answer covered both scopes)."""
    return ConsentRecorded(
        beneficiary_id=signing.beneficiary_id,
        version=1,
        contact_with_accepting_partner=signing.consent_to_share,
        candidate_pools=signing.consent_to_share,
        recorded_at=at,
        recorded_by=by,
        channel=ConsentChannel.IN_PERSON,
    )


async def current_consent(store: Records, beneficiary_id: str) -> ConsentRecorded | None:
    records = await store.consents(beneficiary_id)
    return records[-1] if records else None


async def record_consent_at_signing(
    signing: CirSigningCreate, held: list[ConsentRecorded], consents: Publisher, by: str, at: datetime
) -> None:
    """Publish version 1 unless the person has a consent on record (`held`, as the caller read it): a
    repeated signing, or one whose first try failed after the signing was logged."""
    if not held:
        record = consent_at_signing(signing, by, at)
        await consents.publish(record, key=record.beneficiary_id, event_id=consent_event_id(record.beneficiary_id, 1))


async def change_consent(
    beneficiary_id: str,
    contact: bool,
    pools: bool,
    programmes: list[str] | None,
    channel: ConsentChannel,
    by: str,
    at: datetime,
    note: str | None,
    store: Records,
    publishers: ConsentPublishers,
    keyring: Keyring,
) -> ConsentRecorded:
    """The person gives, narrows or withdraws their consent: a new version, effective at once. The same
    consent stated again records nothing and returns the current version."""
    current = await current_consent(store, beneficiary_id)
    if current is None:
        raise NotFound(f"aucun CIR enregistré pour {beneficiary_id} / no CIR signing for it")
    programmes = sorted(set(programmes)) if programmes is not None else None
    stated = {"contact_with_accepting_partner": contact, "candidate_pools": pools, "pool_programmes": programmes}
    if current.model_dump(include=set(stated)) == stated:
        return current
    record = ConsentRecorded(
        beneficiary_id=beneficiary_id,
        version=current.version + 1,
        contact_with_accepting_partner=contact,
        candidate_pools=pools,
        pool_programmes=programmes,
        recorded_at=at,
        recorded_by=by,
        channel=channel,
        sealed_note=await keyring.seal_note(beneficiary_id, note, publishers.keys, at) if note else None,
    )
    await publishers.consents.publish(
        record, key=beneficiary_id, event_id=consent_event_id(beneficiary_id, record.version)
    )
    return record


class ConsentPublishers(Protocol):
    @property
    def consents(self) -> Publisher: ...

    @property
    def keys(self) -> Publisher: ...


class ConsentVersion(BaseModel):
    """A consent record as the person and the auditors read it: its note opened."""

    beneficiary_id: str
    version: int
    contact_with_accepting_partner: bool
    candidate_pools: bool
    pool_programmes: list[str] | None
    recorded_at: datetime
    recorded_by: str
    channel: ConsentChannel
    note: str | None


async def readable(records: list[ConsentRecorded], keyring: Keyring) -> list[ConsentVersion]:
    return [
        ConsentVersion(
            **record.model_dump(exclude={"sealed_note"}),
            note=await keyring.open_note(record.beneficiary_id, record.sealed_note),
        )
        for record in records
    ]


async def pools_allowed(store: Records, beneficiary_id: str, programme: str, at_signing: bool) -> bool:
    """May a new referral's candidate be shown in other partners' pools for `programme`?"""
    return pools_allowed_by(await current_consent(store, beneficiary_id), programme, at_signing)
