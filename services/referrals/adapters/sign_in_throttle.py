"""Throttling of failed sign-ins, per account and per client: a few failures are free, then each further
attempt must wait a delay that doubles (progressive delay), and after `lock_after` failures the key is
locked for `lock_s`. An attempt made while a key waits is refused before the password is checked (no argon2
work, no answer about the password). Failures older than `window_s` are forgotten.

Counters live in the cache Redis (they are not state rebuilt from the log: after a loss they start again
from zero), one hash per key, updated by one Lua script so that concurrent failures are all counted. Time
is the caller's clock (the service's, which tests move), never Redis's; the TTL only collects garbage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from services.referrals.domain.throttling import Failure, Wait, account_key

PREFIX = "referrals:sign-in"
_RECORD_FAILURE = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local free, base, longest = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lock_after, lock_s, ttl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if now - last > window then failures = 0 end
failures = failures + 1
local wait_until = now
if failures >= lock_after then
  wait_until = now + lock_s
elseif failures > free then
  wait_until = now + math.min(base * 2 ^ (failures - free - 1), longest)
end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', tostring(now), 'until', tostring(wait_until))
redis.call('EXPIRE', KEYS[1], ttl)
return {failures, tostring(wait_until)}
"""


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    base_delay_s: float
    max_delay_s: float
    lock_after: int
    lock_s: float
    window_s: float


ACCOUNT_POLICY = ThrottlePolicy(
    free_failures=3, base_delay_s=1.0, max_delay_s=60.0, lock_after=10, lock_s=15 * 60, window_s=24 * 3600
)
# One office's agents may share an address: more failures before a client waits or is locked.
CLIENT_POLICY = ThrottlePolicy(
    free_failures=10, base_delay_s=1.0, max_delay_s=60.0, lock_after=50, lock_s=15 * 60, window_s=3600
)


class SignInThrottle:
    def __init__(
        self,
        redis: Redis,
        clock: Callable[[], datetime],
        account: ThrottlePolicy = ACCOUNT_POLICY,
        client: ThrottlePolicy = CLIENT_POLICY,
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._policies = {"account": account, "client": client}
        self._record = redis.register_script(_RECORD_FAILURE)

    def _policy(self, key: str) -> ThrottlePolicy:
        return self._policies[key.split(":", 1)[0]]

    async def must_wait(self, *keys: str) -> Wait | None:
        """The longest wait among `keys`, or None when an attempt may be checked now."""
        now = self._clock()
        waits = []
        for key in keys:
            raw = await self._redis.hmget(f"{PREFIX}:{key}", "until", "failures")
            if raw[0] is None:
                continue
            until = datetime.fromtimestamp(float(raw[0]), tz=now.tzinfo)
            if until > now:
                waits.append(Wait(key, until, int(raw[1] or 0) >= self._policy(key).lock_after))
        return max(waits, key=lambda w: w.until, default=None)

    async def failed(self, *keys: str) -> list[Failure]:
        now = self._clock().timestamp()
        failures = []
        for key in keys:
            policy = self._policy(key)
            ttl = int(max(policy.window_s, policy.lock_s)) + 60
            count, _ = await self._record(
                keys=[f"{PREFIX}:{key}"],
                args=[now, policy.window_s, policy.free_failures, policy.base_delay_s, policy.max_delay_s,
                      policy.lock_after, policy.lock_s, ttl],
            )  # fmt: skip
            failures.append(Failure(key, int(count), int(count) == policy.lock_after))
        return failures

    async def succeeded(self, login: str) -> None:
        """The account's failures are forgotten; the client's are not (one good password among many
        guesses across accounts does not clear the guesser)."""
        await self._redis.delete(f"{PREFIX}:{account_key(login)}")
