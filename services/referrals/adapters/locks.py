"""One change at a time per referral, across every referrals instance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis


class ReferralLocks:
    def __init__(self, redis: Redis, timeout_s: float = 10.0) -> None:
        self._redis = redis
        self._timeout = timeout_s

    @asynccontextmanager
    async def hold(self, referral_id: str) -> AsyncIterator[None]:
        async with self._redis.lock(f"referrals:lock:{referral_id}", timeout=self._timeout, blocking_timeout=5):
            yield
