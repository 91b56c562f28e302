"""The people's keys, as the log keeps them: wrapped by the master key, one hash per person
(`referrals:key:<beneficiary id>`, a field per key id)."""

from __future__ import annotations

from redis.asyncio import Redis

from services.referrals.adapters.store import ERASED, KEEP_UNLESS_ERASED
from services.referrals.domain.records import PersonalKeyIssued

PREFIX = "referrals:key"


class PersonalKeyStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._keep_unless_erased = redis.register_script(KEEP_UNLESS_ERASED)

    async def all_of(self, beneficiary_id: str) -> list[PersonalKeyIssued]:
        """The person's keys, oldest first."""
        raw = await self._redis.hgetall(f"{PREFIX}:{beneficiary_id}")
        keys = (PersonalKeyIssued.model_validate_json(v) for v in raw.values())
        return sorted(keys, key=lambda k: (k.issued_at, k.key_id))

    async def keep(self, record: PersonalKeyIssued) -> bool:
        """Keep one of the person's keys, unless they were erased (False): an erased person's key never
        comes back, even when its record is replayed."""
        person = record.beneficiary_id
        kept = await self._keep_unless_erased(
            keys=[ERASED, f"{PREFIX}:{person}"], args=[person, record.key_id, record.model_dump_json()]
        )
        return bool(kept)

    async def forget(self, beneficiary_id: str, key_id: str | None = None) -> None:
        """One key of the person's, or (None) all of them."""
        if key_id is None:
            await self._redis.delete(f"{PREFIX}:{beneficiary_id}")
        else:
            await self._redis.hdel(f"{PREFIX}:{beneficiary_id}", key_id)
