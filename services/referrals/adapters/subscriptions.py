"""Partners' subscriptions as referrals keeps them (the source for `partner.subscription.v1`)."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.contract.events import PartnerSubscription


class Subscriptions:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    def _key(self, partner_id: str) -> str:
        return f"referrals:subscriptions:{partner_id}"

    async def save(self, subscription: PartnerSubscription) -> None:
        await self._redis.hset(
            self._key(subscription.partner_id), subscription.subscription_id, subscription.model_dump_json()
        )

    async def get(self, partner_id: str, subscription_id: str) -> PartnerSubscription | None:
        raw = await self._redis.hget(self._key(partner_id), subscription_id)
        return PartnerSubscription.model_validate_json(raw) if raw else None

    async def of(self, partner_id: str) -> list[PartnerSubscription]:
        raw = await self._redis.hgetall(self._key(partner_id))
        return sorted((PartnerSubscription.model_validate_json(v) for v in raw.values()), key=lambda s: s.changed_at)
