"""The referral views in Redis: a projection of `referral.event.v1`. Applying an event twice changes
nothing; wiping these keys and replaying the topic rebuilds them."""

from __future__ import annotations

import asyncio
from datetime import datetime

from redis.asyncio import Redis

from services.referrals.domain.lifecycle import AWAITING_ANSWER
from services.referrals.domain.referral_view import ReferralView, next_view, sent_to_partner
from shared.contract.events import ReferralEvent
from shared.contract.vocabulary import OutcomeAtThreeMonths, ReferralStatus

PREFIX = "referrals:view"
MILESTONES = ("proposed", "accepted", "enrolled", "completed", "employed", "in_training")


def milestones_of(view: ReferralView) -> list[str]:
    reached: list[str] = [view.status.value] if view.status.value in MILESTONES else []
    if view.status is ReferralStatus.SENT:  # a referral sent is a referral proposed (some are created sent)
        reached.append(ReferralStatus.PROPOSED.value)
    if view.outcome in (OutcomeAtThreeMonths.EMPLOYED, OutcomeAtThreeMonths.IN_TRAINING):
        reached.append(view.outcome.value)
    return reached


IndexOperation = tuple[str, str, *tuple[str | float, ...]]  # command, key, arguments

# KEYS[1]: the view; KEYS[2…]: one per index operation. ARGV[1]: the view as it was read ('' for none);
# ARGV[2]: the next view; then, per operation, its command, its number of arguments and the arguments.
_WRITE_IF_UNCHANGED = """
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
local a = 3
for i = 2, #KEYS do
  local n = tonumber(ARGV[a + 1])
  redis.call(ARGV[a], KEYS[i], unpack(ARGV, a + 2, a + 1 + n))
  a = a + 2 + n
end
return 1
"""


class ReferralViews:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._write_if_unchanged = redis.register_script(_WRITE_IF_UNCHANGED)

    def _key(self, referral_id: str) -> str:
        return f"{PREFIX}:referral:{referral_id}"

    async def get(self, referral_id: str) -> ReferralView | None:
        raw = await self._redis.get(self._key(referral_id))
        return ReferralView.model_validate_json(raw) if raw else None

    async def apply(self, event: ReferralEvent) -> bool:
        """Apply `event` if it is the next one for its referral; False for one already applied.

        The view is read, the next one decided here, then written with its indexes by a script that first
        checks the view is still the one read (compare and set): if another writer came in between, read
        again. An event already applied costs one read, and every command goes through the service's
        shared client (a WATCH transaction would hold a connection of its own for three round trips)."""
        key = self._key(event.referral_id)
        while True:
            raw = await self._redis.get(key)
            before = ReferralView.model_validate_json(raw) if raw else None
            after = next_view(before, event)  # OutOfOrder goes to the caller
            if after is None:
                return False
            operations = self._index(before, after)
            keys = [key, *(operation[1] for operation in operations)]
            args: list[str | bytes | float] = [raw or "", after.model_dump_json()]
            for command, _, *arguments in operations:
                args += [command, len(arguments), *arguments]
            if await self._write_if_unchanged(keys=keys, args=args):
                return True

    def _index(self, before: ReferralView | None, after: ReferralView) -> list[IndexOperation]:
        """The index updates that go with the view: (command, key, arguments…)."""
        rid = after.referral_id
        operations: list[IndexOperation] = [
            ("SADD", f"{PREFIX}:beneficiary:{after.beneficiary_id}", rid),
            ("SADD", f"{PREFIX}:all", rid),
        ]
        if before is not None and before.status != after.status:
            operations.append(("SREM", f"{PREFIX}:partner:{after.partner_id}:{before.status.value}", rid))
        operations.append(("SADD", f"{PREFIX}:partner:{after.partner_id}:{after.status.value}", rid))
        if after.status in AWAITING_ANSWER and after.respond_by is not None:
            operations.append(("ZADD", f"{PREFIX}:deadlines", after.respond_by.timestamp(), rid))
        else:
            operations.append(("ZREM", f"{PREFIX}:deadlines", rid))
        if after.status is ReferralStatus.PROPOSED and after.send_by is not None:
            operations.append(("ZADD", f"{PREFIX}:to-send", after.send_by.timestamp(), rid))
        else:
            operations.append(("ZREM", f"{PREFIX}:to-send", rid))
        active = after.status in AWAITING_ANSWER or after.status in (ReferralStatus.ACCEPTED, ReferralStatus.ENROLLED)
        operations.append(("SADD" if active else "SREM", f"{PREFIX}:opening:{after.opening_id}:active", rid))
        for milestone in milestones_of(after):
            operations.append(("SADD", f"{PREFIX}:funnel:{after.programme}:{milestone}", rid))
        operations.append(("SADD", f"{PREFIX}:programmes", after.programme))
        return operations

    async def _many(self, ids: set[str]) -> list[ReferralView]:
        views = await asyncio.gather(*(self.get(i) for i in sorted(ids)))  # one round trip (the client coalesces)
        return sorted((v for v in views if v is not None), key=lambda v: v.created_at)

    async def of_beneficiary(self, beneficiary_id: str) -> list[ReferralView]:
        return await self._many({str(i) for i in await self._redis.smembers(f"{PREFIX}:beneficiary:{beneficiary_id}")})

    async def of_partner(self, partner_id: str, status: ReferralStatus | None = None) -> list[ReferralView]:
        """What the partner has received: never a referral it was not sent (see `sent_to_partner`)."""
        statuses = [s for s in ([status] if status else list(ReferralStatus)) if s is not ReferralStatus.PROPOSED]
        ids: set[str] = set()
        for s in statuses:
            ids |= {str(i) for i in await self._redis.smembers(f"{PREFIX}:partner:{partner_id}:{s.value}")}
        return [view for view in await self._many(ids) if sent_to_partner(view)]

    async def active_on(self, opening_id: str) -> int:
        return int(await self._redis.scard(f"{PREFIX}:opening:{opening_id}:active"))

    async def due_before(self, moment: datetime) -> list[str]:
        """Referrals still awaiting an answer whose deadline is before `moment`."""
        return [str(i) for i in await self._redis.zrangebyscore(f"{PREFIX}:deadlines", "-inf", moment.timestamp())]

    async def due_to_send(self, moment: datetime) -> list[str]:
        """Referrals proposed in a decision window that closes by `moment`, not yet handed to matching."""
        due = [str(i) for i in await self._redis.zrangebyscore(f"{PREFIX}:to-send", "-inf", moment.timestamp())]
        if not due:
            return []
        closing = await self._redis.hmget(f"{PREFIX}:window-closing", due)
        return [rid for rid, window in zip(due, closing, strict=True) if window is None]

    async def mark_closing(self, referral_ids: list[str], window_id: str) -> None:
        """These referrals' window was closed: matching decides on them (kept apart from the view, so that a
        rebuild may replay the windows and the referral events in any order)."""
        if referral_ids:
            await self._redis.hset(f"{PREFIX}:window-closing", mapping=dict.fromkeys(referral_ids, window_id))

    async def funnel(self) -> dict[str, dict[str, int]]:
        result = {}
        for programme in sorted(str(p) for p in await self._redis.smembers(f"{PREFIX}:programmes")):
            result[programme] = {
                m: int(await self._redis.scard(f"{PREFIX}:funnel:{programme}:{m}")) for m in MILESTONES
            }
        return result

    async def snapshot(self) -> dict[str, str]:
        """Every view, by id, as stored (to compare a rebuilt state with the live one)."""
        ids = sorted(str(i) for i in await self._redis.smembers(f"{PREFIX}:all"))
        return {i: str(await self._redis.get(self._key(i)) or "") for i in ids}

    async def wipe(self) -> int:
        removed = 0
        async for key in self._redis.scan_iter(match=f"{PREFIX}:*", count=500):
            removed += await self._redis.delete(key)
        return removed
