"""What matching remembers about each newcomer: the last profile, and the openings already tried."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.events import BeneficiaryProfile


class ProfileBook:
    def __init__(self, redis: Redis, key: str = "matching:profiles") -> None:
        self._redis = redis
        self._key = key

    async def remember(self, profile: BeneficiaryProfile) -> None:
        await self._redis.hset(self._key, profile.beneficiary_id, profile.model_dump_json())

    async def get(self, beneficiary_id: str) -> BeneficiaryProfile | None:
        raw = await self._redis.hget(self._key, beneficiary_id)
        return BeneficiaryProfile.model_validate_json(raw) if raw else None


class TriedOpenings:
    def __init__(self, redis: Redis, prefix: str = "matching:tried") -> None:
        self._redis = redis
        self._prefix = prefix

    async def add(self, beneficiary_id: str, opening_id: str) -> None:
        await self._redis.sadd(f"{self._prefix}:{beneficiary_id}", opening_id)

    async def of(self, beneficiary_id: str) -> frozenset[str]:
        return frozenset(str(o) for o in await self._redis.smembers(f"{self._prefix}:{beneficiary_id}"))
