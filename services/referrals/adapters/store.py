"""Referrals' records in Redis: beneficiaries (with contact details), openings, proposals.

The referral views themselves are a projection of the event log: see `referral_views.py`."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from services.referrals.domain.records import ProfileVersion
from services.referrals.domain.signing import CirSigningCreate
from shared.contract.events import AuditRecord, ConsentRecorded, MatchingProposal, ProgrammeOpening

PREFIX = "referrals"
ERASED = f"{PREFIX}:erased"  # who was erased: a hash, the erasure's audit record by beneficiary id

# KEYS[1]: ERASED; KEYS[2]: a hash of the person's. ARGV: the person's id, the field, the value. Kept unless
# the person was erased, in one step: an erasure cannot fall between the check and the write.
KEEP_UNLESS_ERASED = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


class ReferralStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._keep_unless_erased = redis.register_script(KEEP_UNLESS_ERASED)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    # beneficiaries
    async def get_signing(self, beneficiary_id: str) -> CirSigningCreate | None:
        raw = await self._redis.get(f"{PREFIX}:beneficiary:{beneficiary_id}")
        return CirSigningCreate.model_validate_json(raw) if raw else None

    async def keep_signing(self, signing: CirSigningCreate, history: list[ProfileVersion]) -> None:
        """The signing as it stands and the list of its versions, in one command."""
        versions = "[" + ",".join(v.model_dump_json() for v in history) + "]"
        await self._redis.mset(
            {
                f"{PREFIX}:beneficiary:{signing.beneficiary_id}": signing.model_dump_json(),
                f"{PREFIX}:versions:{signing.beneficiary_id}": versions,
            }
        )

    async def history(self, beneficiary_id: str) -> list[ProfileVersion]:
        raw = await self._redis.get(f"{PREFIX}:versions:{beneficiary_id}")
        if not raw:
            return []
        return [ProfileVersion.model_validate(v) for v in json.loads(raw)]

    async def all_signings(self) -> list[CirSigningCreate]:
        """Every newcomer on record (the console's search; a real deployment would index by territory)."""
        signings = []
        async for key in self._redis.scan_iter(match=f"{PREFIX}:beneficiary:*", count=500):
            raw = await self._redis.get(key)
            if raw:
                signings.append(CirSigningCreate.model_validate_json(raw))
        return signings

    # consent: every version, keyed by version (keeping one twice is keeping it once)
    async def keep_consent(self, record: ConsentRecorded) -> bool:
        """Keep a version of the person's consent, unless they were erased (False)."""
        person = record.beneficiary_id
        kept = await self._keep_unless_erased(
            keys=[ERASED, f"{PREFIX}:consent:{person}"], args=[person, str(record.version), record.model_dump_json()]
        )
        return bool(kept)

    async def consents(self, beneficiary_id: str) -> list[ConsentRecorded]:
        """The person's consent records, oldest first; the last is the consent now."""
        raw = await self._redis.hgetall(f"{PREFIX}:consent:{beneficiary_id}")
        return sorted((ConsentRecorded.model_validate_json(v) for v in raw.values()), key=lambda c: c.version)

    # the audit records about each person (disclosures, exports), keyed by their event id
    async def keep_audit(self, event_id: str, record: AuditRecord) -> None:
        await self._redis.hset(f"{PREFIX}:audit:{record.subject}", event_id, record.model_dump_json())

    async def audit_of(self, subject: str) -> list[AuditRecord]:
        raw = await self._redis.hgetall(f"{PREFIX}:audit:{subject}")
        return sorted((AuditRecord.model_validate_json(v) for v in raw.values()), key=lambda r: r.at)

    # erasure: the person's records go; the erasure's own audit record stays, so nothing of them comes back
    async def forget_signing(self, beneficiary_id: str) -> None:
        await self._redis.delete(f"{PREFIX}:beneficiary:{beneficiary_id}", f"{PREFIX}:versions:{beneficiary_id}")

    async def forget_person(self, erasure: AuditRecord) -> None:
        subject = erasure.subject
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(*(f"{PREFIX}:{kind}:{subject}" for kind in ("beneficiary", "versions", "consent", "audit")))
            pipe.hset(ERASED, subject, erasure.model_dump_json())
            await pipe.execute()

    async def erasure_of(self, beneficiary_id: str) -> AuditRecord | None:
        raw = await self._redis.hget(ERASED, beneficiary_id)
        return AuditRecord.model_validate_json(raw) if raw else None

    # openings
    async def get_opening(self, opening_id: str) -> ProgrammeOpening | None:
        raw = await self._redis.hget(f"{PREFIX}:openings", opening_id)
        return ProgrammeOpening.model_validate_json(raw) if raw else None

    async def save_opening(self, opening: ProgrammeOpening) -> None:
        await self._redis.hset(f"{PREFIX}:openings", opening.opening_id, opening.model_dump_json())

    async def list_openings(self) -> list[ProgrammeOpening]:
        raw = await self._redis.hgetall(f"{PREFIX}:openings")
        return sorted((ProgrammeOpening.model_validate_json(v) for v in raw.values()), key=lambda o: o.opening_id)

    # proposals
    async def save_latest_proposal(self, proposal: MatchingProposal) -> None:
        """Kept unless a proposal for a newer profile version is already there (a late redelivery)."""
        current = await self.latest_proposal(proposal.beneficiary_id)
        if current is not None and current.profile_version > proposal.profile_version:
            return
        await self._redis.set(f"{PREFIX}:proposal:{proposal.beneficiary_id}", proposal.model_dump_json())

    async def latest_proposal(self, beneficiary_id: str) -> MatchingProposal | None:
        raw = await self._redis.get(f"{PREFIX}:proposal:{beneficiary_id}")
        return MatchingProposal.model_validate_json(raw) if raw else None

    async def mark_published(self, event_id: str) -> None:
        await self._redis.set(f"{PREFIX}:published:{event_id}", 1)

    async def was_published(self, event_id: str) -> bool:
        return bool(await self._redis.exists(f"{PREFIX}:published:{event_id}"))
