"""Seats held, confirmed and released atomically in Redis (one Lua script per operation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from services.matching.domain.seats import Hold

# KEYS: capacity, holds (zset holder -> expiry ms), confirmed (set)
# ARGV: holder, now ms, expiry ms.  Returns the hold's expiry in ms, or -1 when full.
_HOLD = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
local existing = redis.call('ZSCORE', KEYS[2], ARGV[1])
if existing then return tonumber(existing) end
local capacity = tonumber(redis.call('GET', KEYS[1]) or '0')
local used = redis.call('ZCARD', KEYS[2]) + redis.call('SCARD', KEYS[3])
if used >= capacity then return -1 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return tonumber(ARGV[3])
"""

# Returns 1 when the holder now has a confirmed seat: its hold becomes a confirmed seat or, when the hold
# has expired (an answer after a long waitlist), a seat still free is taken; 0 when none is left.
_CONFIRM = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 1 end
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[3], ARGV[1])
  return 1
end
local capacity = tonumber(redis.call('GET', KEYS[1]) or '0')
if redis.call('ZCARD', KEYS[2]) + redis.call('SCARD', KEYS[3]) < capacity then
  redis.call('SADD', KEYS[3], ARGV[1])
  return 1
end
return 0
"""

_RELEASE = """
return redis.call('ZREM', KEYS[2], ARGV[1]) + redis.call('SREM', KEYS[3], ARGV[1])
"""

_AVAILABLE = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local capacity = tonumber(redis.call('GET', KEYS[1]) or '0')
local left = capacity - redis.call('ZCARD', KEYS[2]) - redis.call('SCARD', KEYS[3])
if left < 0 then return 0 end
return left
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class SeatLedger:
    """Seats per opening; the clock is passed in so expiry is testable without waiting."""

    def __init__(self, redis: Redis, prefix: str = "seats") -> None:
        self._redis = redis
        self._prefix = prefix
        self._hold = redis.register_script(_HOLD)
        self._confirm = redis.register_script(_CONFIRM)
        self._release = redis.register_script(_RELEASE)
        self._available = redis.register_script(_AVAILABLE)

    def _keys(self, opening_id: str) -> list[str]:
        base = f"{self._prefix}:{{{opening_id}}}"
        return [f"{base}:capacity", f"{base}:holds", f"{base}:confirmed"]

    async def set_capacity(self, opening_id: str, seats: int) -> None:
        await self._redis.set(self._keys(opening_id)[0], seats)

    async def capacity(self, opening_id: str) -> int:
        return int(await self._redis.get(self._keys(opening_id)[0]) or 0)

    async def hold(self, opening_id: str, holder: str, now: datetime, ttl: timedelta) -> Hold | None:
        """Hold a seat for `holder` until now + ttl; the same holder asking again gets the same hold."""
        result = int(await self._hold(keys=self._keys(opening_id), args=[holder, _ms(now), _ms(now + ttl)]))
        if result < 0:
            return None
        expires = None if result == 0 else datetime.fromtimestamp(result / 1000, UTC)
        return Hold(opening_id, holder, expires)

    async def confirm(self, opening_id: str, holder: str, now: datetime) -> bool:
        return bool(await self._confirm(keys=self._keys(opening_id), args=[holder, _ms(now)]))

    async def release(self, opening_id: str, holder: str) -> bool:
        return bool(await self._release(keys=self._keys(opening_id), args=[holder]))

    async def restore_hold(self, opening_id: str, holder: str, expires_at: datetime) -> None:
        """Put back a hold the log says was granted (rebuilding after a loss of Redis): no capacity check,
        since capacity was checked when it was granted."""
        keys = self._keys(opening_id)
        if not await self._redis.sismember(keys[2], holder):
            await self._redis.zadd(keys[1], {holder: _ms(expires_at)})

    async def confirmed_on_any(self, opening_ids: list[str], holder: str) -> bool:
        """Whether `holder` has a confirmed seat (an accepted referral) on any of these openings."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for opening_id in opening_ids:
                pipe.sismember(self._keys(opening_id)[2], holder)
            return any(await pipe.execute())

    async def available(self, opening_id: str, now: datetime) -> int:
        return int(await self._available(keys=self._keys(opening_id), args=[_ms(now)]))
