"""Each person's key, as the log keeps it: wrapped by the master key (`referrals:key:<beneficiary id>`)."""

from __future__ import annotations

from redis.asyncio import Redis

from services.referrals.domain.records import PersonalKeyIssued

PREFIX = "referrals:key"


class PersonalKeyStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get(self, beneficiary_id: str) -> PersonalKeyIssued | None:
        raw = await self._redis.get(f"{PREFIX}:{beneficiary_id}")
        return PersonalKeyIssued.model_validate_json(raw) if raw else None

    async def keep(self, record: PersonalKeyIssued) -> None:
        await self._redis.set(f"{PREFIX}:{record.beneficiary_id}", record.model_dump_json())

    async def forget(self, beneficiary_id: str) -> None:
        await self._redis.delete(f"{PREFIX}:{beneficiary_id}")
