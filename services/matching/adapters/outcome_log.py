"""Outcomes reported by partners, kept once per referral, to retrain the success model."""

from __future__ import annotations

from redis.asyncio import Redis

from services.matching.service_layer.history import OutcomeRecord


class OutcomeLog:
    def __init__(self, redis: Redis, key: str = "matching:outcomes") -> None:
        self._redis = redis
        self._key = key

    async def add(self, referral_id: str, record: OutcomeRecord) -> bool:
        """False when this referral's outcome was already recorded (a redelivered event)."""
        return bool(await self._redis.hsetnx(self._key, referral_id, record.model_dump_json()))

    async def all(self) -> list[OutcomeRecord]:
        return [OutcomeRecord.model_validate_json(raw) for raw in (await self._redis.hgetall(self._key)).values()]

    async def count(self) -> int:
        return int(await self._redis.hlen(self._key))
