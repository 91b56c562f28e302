"""Seats held, confirmed and released atomically in Redis (one Lua script per operation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from services.matching.domain.seats import Hold, SeatMove

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


# A decision window's moves, all at once (no real-time hold slips in between): every mover's provisional
# hold is released first, then each takes its new seat, or keeps (takes back) its old one when the new one
# is gone, or ends with none (always when its new one is none: that seat is meant for someone else).
# KEYS: 3 per opening (capacity, holds, confirmed). ARGV: now ms, then per move: holder, old opening's
# position (1-based, 0: none), new one's, expiry ms. Returns, per move, the position of the seat it
# holds (0: none) and the hold's expiry.
_MOVE = """
local function key(i, part) return KEYS[(i - 1) * 3 + part] end
for i = 1, #KEYS / 3 do redis.call('ZREMRANGEBYSCORE', key(i, 2), '-inf', ARGV[1]) end
local moves = (#ARGV - 1) / 4
for m = 0, moves - 1 do
  local holder, old, new = ARGV[2 + m * 4], tonumber(ARGV[3 + m * 4]), tonumber(ARGV[4 + m * 4])
  if old > 0 and old ~= new then redis.call('ZREM', key(old, 2), holder) end
end
local function take(i, holder, expiry)
  local existing = redis.call('ZSCORE', key(i, 2), holder)
  if existing then return tonumber(existing) end
  local capacity = tonumber(redis.call('GET', key(i, 1)) or '0')
  if redis.call('ZCARD', key(i, 2)) + redis.call('SCARD', key(i, 3)) >= capacity then return nil end
  redis.call('ZADD', key(i, 2), expiry, holder)
  return tonumber(expiry)
end
local result = {}
for m = 0, moves - 1 do
  local holder, old, new = ARGV[2 + m * 4], tonumber(ARGV[3 + m * 4]), tonumber(ARGV[4 + m * 4])
  local expiry, got, at = ARGV[5 + m * 4], 0, 0
  if new > 0 then at = take(new, holder, expiry); if at then got = new end end
  if got == 0 and old > 0 and new > 0 then at = take(old, holder, expiry); if at then got = old end end
  result[#result + 1] = got
  result[#result + 1] = at or 0
end
return result
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
        self._move = redis.register_script(_MOVE)

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

    async def move_holds(self, moves: list[SeatMove], now: datetime) -> list[Hold | None]:
        """Apply a decision window's moves atomically (see _MOVE); per move, the hold its holder ends with.
        All the openings' keys go to one script: fine on one Redis, not across Redis Cluster slots."""
        if not moves:
            return []
        position: dict[str, int] = {}
        for move in moves:
            for opening_id in (move.old, move.new):
                if opening_id is not None and opening_id not in position:
                    position[opening_id] = len(position) + 1
        keys = [k for opening_id in position for k in self._keys(opening_id)]
        args: list[str | int] = [_ms(now)]
        for move in moves:
            args += [
                move.holder,
                position.get(move.old or "", 0),
                position.get(move.new or "", 0),
                _ms(move.expires_at),
            ]
        result = [int(x) for x in await self._move(keys=keys, args=args)]
        by_position = {p: o for o, p in position.items()}
        holds: list[Hold | None] = []
        for move, got, expiry in zip(moves, result[::2], result[1::2], strict=True):
            expires = datetime.fromtimestamp(expiry / 1000, UTC)
            holds.append(Hold(by_position[got], move.holder, expires) if got else None)
        return holds

    async def available(self, opening_id: str, now: datetime) -> int:
        return int(await self._available(keys=self._keys(opening_id), args=[_ms(now)]))
