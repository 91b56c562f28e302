"""The people's keys, as the log keeps them: wrapped by the master key, one hash per person
(`referrals:key:<beneficiary id>`, a field per key id)."""

from __future__ import annotations

from redis.asyncio import Redis

from services.referrals.domain.records import PersonalKeyIssued

PREFIX = "referrals:key"


class PersonalKeyStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def all_of(self, beneficiary_id: str) -> list[PersonalKeyIssued]:
        """The person's keys, oldest first."""
        raw = await self._redis.hgetall(f"{PREFIX}:{beneficiary_id}")
        keys = (PersonalKeyIssued.model_validate_json(v) for v in raw.values())
        return sorted(keys, key=lambda k: (k.issued_at, k.key_id))

    async def keep(self, record: PersonalKeyIssued) -> None:
        await self._redis.hset(f"{PREFIX}:{record.beneficiary_id}", record.key_id, record.model_dump_json())

    async def forget(self, beneficiary_id: str, key_id: str | None = None) -> None:
        """One key of the person's, or (None) all of them."""
        if key_id is None:
            await self._redis.delete(f"{PREFIX}:{beneficiary_id}")
        else:
            await self._redis.hdel(f"{PREFIX}:{beneficiary_id}", key_id)
