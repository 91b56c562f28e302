"""What referrals remembers about partners' e-mails, in Redis: which were sent (so a redelivered event
is not mailed twice) and which a failing relay refused (sent again by the deadline sweep)."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.contract.events import ReferralEvent

RETRY_KEY = "referrals:mail:retry"
SENT_FOR = 30 * 24 * 3600


class MailLedger:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def claim(self, referral_id: str, sequence: int) -> bool:
        """True once per referral event: the e-mail about it is this caller's to send."""
        return bool(await self._redis.set(f"referrals:mail:{referral_id}:{sequence}", "1", nx=True, ex=SENT_FOR))

    async def release(self, referral_id: str, sequence: int) -> None:
        """The e-mail did not go out: the next delivery of the event may send it."""
        await self._redis.delete(f"referrals:mail:{referral_id}:{sequence}")

    async def keep_for_retry(self, event: ReferralEvent) -> None:
        await self._redis.rpush(RETRY_KEY, event.model_dump_json())

    async def take_for_retry(self) -> list[ReferralEvent]:
        """The events waiting for another try, taken off the list (those that fail again go back on it)."""
        taken: list[ReferralEvent] = []
        for _ in range(await self._redis.llen(RETRY_KEY)):
            raw = await self._redis.lpop(RETRY_KEY)
            if not isinstance(raw, (str, bytes)):
                break
            taken.append(ReferralEvent.model_validate_json(raw))
        return taken
