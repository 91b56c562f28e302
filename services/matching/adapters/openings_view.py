"""Matching's own view of the openings, built from `programme.opening.v1`."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.contract.events import ProgrammeOpening


class OpeningsView:
    def __init__(self, redis: Redis, key: str = "matching:openings") -> None:
        self._redis = redis
        self._key = key

    async def upsert(self, opening: ProgrammeOpening) -> None:
        await self._redis.hset(self._key, opening.opening_id, opening.model_dump_json())
        await self._redis.incr(f"{self._key}:version")

    async def version(self) -> int:
        """Grows with every change, so an in-memory engine knows when to rebuild."""
        return int(await self._redis.get(f"{self._key}:version") or 0)

    async def get(self, opening_id: str) -> ProgrammeOpening | None:
        raw = await self._redis.hget(self._key, opening_id)
        return ProgrammeOpening.model_validate_json(raw) if raw else None

    async def all(self) -> list[ProgrammeOpening]:
        raw = await self._redis.hgetall(self._key)
        return [ProgrammeOpening.model_validate_json(value) for value in raw.values()]

    async def count(self) -> int:
        return int(await self._redis.hlen(self._key))
