"""One change at a time per referral, across every referrals instance."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import LockError, LockNotOwnedError

log = logging.getLogger(__name__)


class ReferralLocks:
    def __init__(self, redis: Redis, timeout_s: float = 10.0) -> None:
        self._redis = redis
        self._timeout = timeout_s

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        lock = self._redis.lock(f"referrals:lock:{name}", timeout=self._timeout, blocking_timeout=5)
        if not await lock.acquire():
            raise LockError(f"could not take the lock {name} within 5 s")
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockNotOwnedError:  # it expired, or Redis was lost meanwhile: the work is done either way
                log.warning("a lock was lost before its release", extra={"lock": name})
