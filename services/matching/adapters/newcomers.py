"""What matching remembers about each newcomer: the last profile, and the openings already tried."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from shared.contract.events import BeneficiaryProfile

DAY_S = 86_400.0


class ProfileBook:
    """The latest profile of each newcomer, and the order they arrived in (for look-ahead samples)."""

    def __init__(self, redis: Redis, key: str = "matching:profiles") -> None:
        self._redis = redis
        self._key = key

    async def remember(self, profile: BeneficiaryProfile, at: datetime) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(self._key, profile.beneficiary_id, profile.model_dump_json())
            pipe.zadd(f"{self._key}:arrivals", {profile.beneficiary_id: at.timestamp()}, nx=True)
            await pipe.execute()

    async def recent(self, count: int, leaving_out: frozenset[str] = frozenset()) -> list[BeneficiaryProfile]:
        """The `count` latest arrivals, but those left out."""
        if count <= 0:
            return []
        ids = [str(i) for i in await self._redis.zrevrange(f"{self._key}:arrivals", 0, count + len(leaving_out) - 1)]
        ids = [i for i in ids if i not in leaving_out][:count]
        raws = await self._redis.hmget(self._key, ids) if ids else []
        return [BeneficiaryProfile.model_validate_json(raw) for raw in raws if raw]

    async def arrived_between(self, start: datetime, end: datetime, limit: int) -> list[BeneficiaryProfile]:
        """Who arrived from `start` to `end` (both included), the latest first, at most `limit`."""
        ids = await self._redis.zrevrangebyscore(
            f"{self._key}:arrivals", end.timestamp(), start.timestamp(), start=0, num=limit
        )
        raws = await self._redis.hmget(self._key, [str(i) for i in ids]) if ids else []
        return [BeneficiaryProfile.model_validate_json(raw) for raw in raws if raw]

    async def arrival_rate(self, now: datetime, days: int) -> float:
        """Arrivals per day over the last `days` days (over the days since the first arrival, if fewer; at
        least one day)."""
        first = await self._redis.zrange(f"{self._key}:arrivals", 0, 0, withscores=True)
        if not first:
            return 0.0
        since = max(now.timestamp() - days * DAY_S, float(first[0][1]))
        count = await self._redis.zcount(f"{self._key}:arrivals", since, now.timestamp())
        return int(count) / max(1.0, (now.timestamp() - since) / DAY_S)

    async def get(self, beneficiary_id: str) -> BeneficiaryProfile | None:
        raw = await self._redis.hget(self._key, beneficiary_id)
        return BeneficiaryProfile.model_validate_json(raw) if raw else None

    async def many(self, beneficiary_ids: list[str]) -> dict[str, BeneficiaryProfile]:
        """The latest profiles of these newcomers (those matching knows), in one round trip."""
        raws = await self._redis.hmget(self._key, beneficiary_ids) if beneficiary_ids else []
        return {
            i: BeneficiaryProfile.model_validate_json(raw) for i, raw in zip(beneficiary_ids, raws, strict=True) if raw
        }


class TriedOpenings:
    def __init__(self, redis: Redis, prefix: str = "matching:tried") -> None:
        self._redis = redis
        self._prefix = prefix

    async def add(self, beneficiary_id: str, opening_id: str) -> None:
        await self._redis.sadd(f"{self._prefix}:{beneficiary_id}", opening_id)

    async def of(self, beneficiary_id: str) -> frozenset[str]:
        return frozenset(str(o) for o in await self._redis.smembers(f"{self._prefix}:{beneficiary_id}"))


class ChoiceBook:
    """The opening a newcomer was referred to by hand, while that referral is under way (a hash)."""

    def __init__(self, redis: Redis, key: str = "matching:chosen") -> None:
        self._redis = redis
        self._key = key

    async def choose(self, beneficiary_id: str, opening_id: str) -> None:
        await self._redis.hset(self._key, beneficiary_id, opening_id)

    async def clear(self, beneficiary_id: str, opening_id: str) -> None:
        if await self._redis.hget(self._key, beneficiary_id) == opening_id:
            await self._redis.hdel(self._key, beneficiary_id)

    async def of(self, beneficiary_id: str) -> str | None:
        found = await self._redis.hget(self._key, beneficiary_id)
        return None if found is None else str(found)
