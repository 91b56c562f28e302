"""The newcomers waiting for a seat, in Redis: a sorted set by the moment they started waiting (the
earliest kept), and a short claim per person while one offer is being made, so that two openings published
together never hold two seats for one person."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis


class WaitingRoom:
    def __init__(self, redis: Redis, key: str = "matching:waiting") -> None:
        self._redis = redis
        self._key = key

    async def wait(self, beneficiary_id: str, since: datetime) -> None:
        await self._redis.zadd(self._key, {beneficiary_id: since.timestamp()}, nx=True)

    async def leave(self, beneficiary_id: str) -> None:
        await self._redis.zrem(self._key, beneficiary_id)

    async def since(self, beneficiary_id: str) -> datetime | None:
        score = await self._redis.zscore(self._key, beneficiary_id)
        return None if score is None else datetime.fromtimestamp(float(score), UTC)

    async def longest_waiting(self, limit: int) -> list[tuple[str, datetime]]:
        found: list[tuple[str, float]] = await self._redis.zrange(self._key, 0, limit - 1, withscores=True)  # type: ignore[assignment]
        return [(str(member), datetime.fromtimestamp(float(score), UTC)) for member, score in found]

    async def count(self) -> int:
        return int(await self._redis.zcard(self._key))

    async def claim(self, beneficiary_id: str, ttl_ms: int) -> bool:
        return bool(await self._redis.set(f"{self._key}:offer:{beneficiary_id}", "1", nx=True, px=ttl_ms))

    async def unclaim(self, beneficiary_id: str) -> None:
        await self._redis.delete(f"{self._key}:offer:{beneficiary_id}")
