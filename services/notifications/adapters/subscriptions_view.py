"""Notifications' view of the partners' subscriptions, built from `partner.subscription.v1`."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.contract.events import PartnerSubscription
from shared.messaging.batch_reads import read_once_per_batch


class SubscriptionsView:
    def __init__(self, redis: Redis, key: str = "notifications:subscriptions") -> None:
        self._redis = redis
        self._key = key

    async def upsert(self, subscription: PartnerSubscription) -> None:
        await self._redis.hset(self._key, subscription.subscription_id, subscription.model_dump_json())

    async def active(self) -> list[PartnerSubscription]:
        """The active subscriptions, in a stable order (read and parsed once per consumed batch)."""
        return await read_once_per_batch(self._key, self._active)

    async def _active(self) -> list[PartnerSubscription]:
        raw = await self._redis.hgetall(self._key)
        subscriptions = (PartnerSubscription.model_validate_json(v) for v in raw.values())
        return sorted((s for s in subscriptions if s.active), key=lambda s: (s.partner_id, s.subscription_id))

    async def count_anonymous(self, subscription_id: str, referral_id: str) -> None:
        """A candidate fitted but did not consent: the partner only learns how many (a set of referral
        ids, so a redelivered event is counted once)."""
        await self._redis.sadd(f"{self._key}:anonymous:{subscription_id}", referral_id)

    async def anonymous(self, subscription_id: str) -> int:
        return int(await self._redis.scard(f"{self._key}:anonymous:{subscription_id}"))
