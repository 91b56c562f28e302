"""Rules a partner said were wrong ('not eligible' declines), kept for an operator to review."""

from __future__ import annotations

import json
from datetime import datetime

from redis.asyncio import Redis


class ReviewFlags:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def flag(self, opening_id: str, referral_id: str, note: str | None, at: datetime) -> None:
        """One flag per referral (a repeat overwrites it), so the flags do not depend on arrival order."""
        entry = {"referral_id": referral_id, "note": note, "at": at.isoformat()}
        await self._redis.hset(f"referrals:review:{opening_id}", referral_id, json.dumps(entry))

    async def of_opening(self, opening_id: str) -> list[dict[str, str | None]]:
        """Oldest first."""
        raw = await self._redis.hgetall(f"referrals:review:{opening_id}")
        return sorted((json.loads(value) for value in raw.values()), key=lambda entry: entry["at"])
