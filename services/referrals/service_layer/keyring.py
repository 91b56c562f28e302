"""The people's keys in use: drawn at a first signing, unwrapped to seal and open their records, and gone
when they are erased (see `domain/sealing.py` for the scheme)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.referrals.domain.records import PersonalKeyIssued, SigningRecorded, SigningSealed
from services.referrals.domain.sealing import MasterKey, Unreadable, new_personal_key, open_sealed, seal
from services.referrals.service_layer.ports import Locks, PersonalKeys
from shared.projections import Publisher
from shared.topics import REFERRALS_CONSENT, REFERRALS_SIGNING


def _signing_context(beneficiary_id: str) -> str:
    return f"{REFERRALS_SIGNING.name}:{beneficiary_id}"


def _note_context(beneficiary_id: str) -> str:
    return f"{REFERRALS_CONSENT.name}:note:{beneficiary_id}"


@dataclass
class Keyring:
    master: MasterKey
    keys: PersonalKeys

    async def key_of(self, beneficiary_id: str) -> bytes | None:
        """The person's key, or None once they were erased (or before their first signing)."""
        record = await self.keys.get(beneficiary_id)
        if record is None:
            return None
        if record.master_key_id != self.master.key_id:
            raise Unreadable(f"the key of {beneficiary_id} is wrapped by master key {record.master_key_id!r}")
        return self.master.unwrap(beneficiary_id, record.wrapped_key)

    async def issue(self, beneficiary_id: str, publisher: Publisher, locks: Locks, at: datetime) -> bytes:
        """The person's key, drawn and logged (wrapped) at their first signing. One at a time per person
        across instances: two keys would leave a record sealed with the one the log does not keep."""
        async with locks.hold(f"personal-key:{beneficiary_id}"):
            found = await self.key_of(beneficiary_id)
            if found is not None:
                return found
            key = new_personal_key()
            record = PersonalKeyIssued(
                beneficiary_id=beneficiary_id,
                master_key_id=self.master.key_id,
                wrapped_key=self.master.wrap(beneficiary_id, key),
                issued_at=at,
            )
            await publisher.publish(record, key=beneficiary_id)  # the log, then its projection
            return key

    def seal_signing(self, record: SigningRecorded, key: bytes) -> SigningSealed:
        beneficiary_id = record.signing.beneficiary_id
        return SigningSealed(
            beneficiary_id=beneficiary_id,
            master_key_id=self.master.key_id,
            sealed=seal(key, _signing_context(beneficiary_id), record.model_dump_json().encode()),
        )

    async def open_signing(self, sealed: SigningSealed) -> SigningRecorded | None:
        """The signing, or None when the person's key is gone: they were erased."""
        key = await self.key_of(sealed.beneficiary_id)
        if key is None:
            return None
        plain = open_sealed(key, _signing_context(sealed.beneficiary_id), sealed.sealed)
        return SigningRecorded.model_validate_json(plain)

    async def open_note(self, beneficiary_id: str, sealed: str | None) -> str | None:
        """A consent note, or None without one or once the person's key is gone."""
        key = await self.key_of(beneficiary_id) if sealed else None
        return open_sealed(key, _note_context(beneficiary_id), sealed).decode() if key and sealed else None


@dataclass
class Sealing:
    """What seals a person's records on the private topics: their key, issued once (one at a time)."""

    keyring: Keyring
    locks: Locks

    async def publish_signing(
        self, record: SigningRecorded, signings: Publisher, keys: Publisher, at: datetime
    ) -> None:
        beneficiary_id = record.signing.beneficiary_id
        key = await self.keyring.issue(beneficiary_id, keys, self.locks, at)
        await signings.publish(self.keyring.seal_signing(record, key), key=beneficiary_id)

    async def seal_note(self, beneficiary_id: str, note: str, keys: Publisher, at: datetime) -> str:
        key = await self.keyring.issue(beneficiary_id, keys, self.locks, at)
        return seal(key, _note_context(beneficiary_id), note.encode())
