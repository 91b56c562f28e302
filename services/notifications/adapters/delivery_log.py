"""What has been delivered to whom, so a redelivered referral event is not delivered twice."""

from __future__ import annotations

from redis.asyncio import Redis


class DeliveryLog:
    def __init__(self, redis: Redis, prefix: str = "notifications:delivered") -> None:
        self._redis = redis
        self._prefix = prefix

    async def was_delivered(self, partner_id: str, referral_id: str) -> bool:
        return bool(await self._redis.exists(f"{self._prefix}:{partner_id}:{referral_id}"))

    async def record_delivery(self, partner_id: str, referral_id: str, entry_id: str) -> None:
        await self._redis.set(f"{self._prefix}:{partner_id}:{referral_id}", entry_id)
        await self._redis.sadd(f"{self._prefix}-to:{referral_id}", partner_id)

    async def delivered_to(self, referral_id: str) -> set[str]:
        """Every partner whose topic received this referral's entry."""
        return {str(p) for p in await self._redis.smembers(f"{self._prefix}-to:{referral_id}")}
