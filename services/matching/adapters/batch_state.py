"""What the periodic re-optimisation works on: newcomers with a live proposal, and the seat prices it leaves."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from redis.asyncio import Redis

from shared.contract.events import BeneficiaryProfile


class PendingProfiles:
    """Profiles whose seat hold is still live, with the hold's expiry (also in a sorted set, so that the
    latest holds can be read without reading them all)."""

    def __init__(self, redis: Redis, key: str = "matching:pending") -> None:
        self._redis = redis
        self._key = key
        self._by_expiry = f"{key}:by-expiry"
        # What the last `live` read, by beneficiary id: the stored value and the profile parsed from it. A
        # re-solve every 30 s reads up to REOPTIMISE_MAX_PROFILES of them, most unchanged since the last one;
        # parsing them all again held the event loop for over a second at 20,000 (profiles are frozen).
        self._parsed: dict[str, tuple[str, BeneficiaryProfile]] = {}

    async def add(self, profile: BeneficiaryProfile, expires_at: datetime) -> None:
        value = json.dumps({"profile": profile.model_dump(mode="json"), "expires_at": expires_at.isoformat()})
        await asyncio.gather(  # issued together: one round trip with what else the client is sending
            self._redis.hset(self._key, profile.beneficiary_id, value),
            self._redis.zadd(self._by_expiry, {profile.beneficiary_id: expires_at.timestamp()}),
        )

    async def refresh(self, profile: BeneficiaryProfile) -> None:
        """A newer version of a pending profile replaces it; its hold keeps its expiry (as the rebuild does,
        which pairs each recorded hold with the latest profile)."""
        raw = await self._redis.hget(self._key, profile.beneficiary_id)
        if raw:
            await self.add(profile, datetime.fromisoformat(json.loads(raw)["expires_at"]))

    async def live(self, now: datetime, limit: int | None = None) -> list[BeneficiaryProfile]:
        """Live ones (at most `limit`: the holds granted last, which expire last, read without the others);
        expired ones are removed on the way."""
        expired = [str(i) for i in await self._redis.zrangebyscore(self._by_expiry, "-inf", now.timestamp())]
        if expired:
            await asyncio.gather(self._redis.hdel(self._key, *expired), self._redis.zrem(self._by_expiry, *expired))
        if limit is None:
            stored = [(str(i), str(raw)) for i, raw in (await self._redis.hgetall(self._key)).items()]
        else:
            latest = [str(i) for i in await self._redis.zrevrange(self._by_expiry, 0, limit - 1)]
            values = await self._redis.hmget(self._key, latest) if latest else []
            stored = [(beneficiary_id, str(raw)) for beneficiary_id, raw in zip(latest, values, strict=True) if raw]
        parsed = {}
        for beneficiary_id, raw in stored:
            known = self._parsed.get(beneficiary_id)
            parsed[beneficiary_id] = (
                known if known is not None and known[0] == raw
                else (raw, BeneficiaryProfile.model_validate(json.loads(raw)["profile"]))
            )  # fmt: skip
        self._parsed = parsed  # only what is live now: bounded by `limit`
        return [profile for _, profile in parsed.values()]


class SeatPrices:
    """The dual prices of the last batch solve, by opening id."""

    def __init__(self, redis: Redis, key: str = "matching:prices") -> None:
        self._redis = redis
        self._key = key

    async def load(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in (await self._redis.hgetall(self._key)).items()}

    async def replace(self, prices: dict[str, float]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key)
            if prices:
                pipe.hset(self._key, mapping={k: repr(v) for k, v in prices.items()})
            await pipe.execute()


class Lease:
    """One instance at a time: a lock that expires by itself."""

    def __init__(self, redis: Redis, key: str, holder: str) -> None:
        self._redis = redis
        self._key = key
        self._holder = holder

    async def acquire(self, ttl_ms: int) -> bool:
        return bool(await self._redis.set(self._key, self._holder, nx=True, px=ttl_ms))


class WindowDecisionBook:
    """Matching's decision for each closed window, for a week: a redelivered window is answered the same."""

    def __init__(self, redis: Redis, prefix: str = "matching:window-decision", ttl_s: int = 7 * 86400) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s

    async def keep(self, window_event_id: str, decided: dict[str, str | None]) -> dict[str, str | None]:
        """Keep `decided` unless a decision is kept already; returns the one kept."""
        key = f"{self._prefix}:{window_event_id}"
        if await self._redis.set(key, json.dumps(decided), nx=True, ex=self._ttl_s):
            return decided
        raw = await self._redis.get(key)
        return dict(json.loads(raw)) if raw else decided
