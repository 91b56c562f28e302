"""The people's keys in use: drawn at a first signing, unwrapped to seal and open their records, and gone
when they are erased (see `domain/sealing.py` for the scheme)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.referrals.domain.records import PersonalKeyIssued, SigningRecorded, SigningSealed, key_record_key
from services.referrals.domain.sealing import MasterKey, Unreadable, new_personal_key, open_sealed, seal
from services.referrals.service_layer.ports import PersonalKeys
from shared.contract.topics import REFERRALS_CONSENT, REFERRALS_SIGNING
from shared.messaging.projections import Publisher


def _signing_context(beneficiary_id: str) -> str:
    return f"{REFERRALS_SIGNING.name}:{beneficiary_id}"


def _note_context(beneficiary_id: str) -> str:
    return f"{REFERRALS_CONSENT.name}:note:{beneficiary_id}"


@dataclass
class Keyring:
    master: MasterKey
    keys: PersonalKeys

    async def current(self, beneficiary_id: str) -> tuple[str, bytes] | None:
        """The key new records of the person are sealed with (their latest), or None: erased, or not
        signed yet."""
        records = await self.keys.all_of(beneficiary_id)
        return (records[-1].key_id, self._unwrap(records[-1])) if records else None

    async def key(self, beneficiary_id: str, key_id: str) -> bytes | None:
        """One of the person's keys, or None once they were erased."""
        found = [r for r in await self.keys.all_of(beneficiary_id) if r.key_id == key_id]
        return self._unwrap(found[0]) if found else None

    def _unwrap(self, record: PersonalKeyIssued) -> bytes:
        if record.master_key_id != self.master.key_id:
            raise Unreadable(f"a key of {record.beneficiary_id} is wrapped by master key {record.master_key_id!r}")
        return self.master.unwrap(record.beneficiary_id, record.wrapped_key)

    async def issue(self, beneficiary_id: str, publisher: Publisher, at: datetime) -> tuple[str, bytes]:
        """The person's key, drawn and logged (wrapped) at their first signing. Two drawn at once (two
        instances, or a signing in flight while Redis is lost) are both kept: each opens what it sealed."""
        found = await self.current(beneficiary_id)
        return found if found is not None else await self.issue_new(beneficiary_id, publisher, at)

    async def issue_new(self, beneficiary_id: str, publisher: Publisher, at: datetime) -> tuple[str, bytes]:
        """A key drawn and logged (wrapped) for a person the caller found without one."""
        key, key_id = new_personal_key(), uuid.uuid4().hex[:16]
        record = PersonalKeyIssued(
            beneficiary_id=beneficiary_id,
            key_id=key_id,
            master_key_id=self.master.key_id,
            wrapped_key=self.master.wrap(beneficiary_id, key),
            issued_at=at,
        )
        await publisher.publish(record, key=key_record_key(beneficiary_id, key_id))  # the log, then the state
        return key_id, key

    def seal_signing(self, record: SigningRecorded, key_id: str, key: bytes) -> SigningSealed:
        beneficiary_id = record.signing.beneficiary_id
        return SigningSealed(
            beneficiary_id=beneficiary_id,
            master_key_id=self.master.key_id,
            key_id=key_id,
            sealed=seal(key, _signing_context(beneficiary_id), record.model_dump_json().encode()),
        )

    async def open_signing(self, sealed: SigningSealed) -> SigningRecorded | None:
        """The signing, or None when the person's key is gone: they were erased."""
        key = await self.key(sealed.beneficiary_id, sealed.key_id)
        if key is None:
            return None
        plain = open_sealed(key, _signing_context(sealed.beneficiary_id), sealed.sealed)
        return SigningRecorded.model_validate_json(plain)

    async def open_note(self, beneficiary_id: str, sealed: str | None) -> str | None:
        """A consent note (`<key id>:<sealed>`), or None without one or once the person's key is gone."""
        if not sealed:
            return None
        key_id, _, token = sealed.partition(":")
        key = await self.key(beneficiary_id, key_id)
        return open_sealed(key, _note_context(beneficiary_id), token).decode() if key else None

    async def publish_signing(
        self, record: SigningRecorded, signings: Publisher, keys: Publisher, at: datetime
    ) -> None:
        """The signing on the private log, sealed with the person's key (issued at their first)."""
        await self.publish_sealed(record, await self.issue(record.signing.beneficiary_id, keys, at), signings)

    async def publish_sealed(self, record: SigningRecorded, key: tuple[str, bytes], signings: Publisher) -> None:
        """The signing on the private log, sealed with `key` (the person's, as `current` or `issue` gave it)."""
        key_id, secret = key
        await signings.publish(self.seal_signing(record, key_id, secret), key=record.signing.beneficiary_id)

    async def seal_note(self, beneficiary_id: str, note: str, keys: Publisher, at: datetime) -> str:
        key_id, key = await self.issue(beneficiary_id, keys, at)
        return f"{key_id}:{seal(key, _note_context(beneficiary_id), note.encode())}"
