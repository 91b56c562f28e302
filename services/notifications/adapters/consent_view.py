"""The newcomers' current consent, as notifications needs it (pools or not, which programmes), and which
referrals are whose: the projection of `referrals.consent.v1` and of new referrals on `referral.event.v1`."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from shared.contract.events import ConsentRecorded

PREFIX = "notifications"


class ConsentView:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def keep(self, record: ConsentRecorded) -> None:
        """Kept unless a newer version is there (each person's records arrive in order on one partition)."""
        current = await self.get(record.beneficiary_id)
        if current is None or current.version < record.version:
            await self._redis.set(f"{PREFIX}:consent:{record.beneficiary_id}", record.model_dump_json())

    async def get(self, beneficiary_id: str) -> ConsentRecorded | None:
        raw = await self._redis.get(f"{PREFIX}:consent:{beneficiary_id}")
        return ConsentRecorded.model_validate_json(raw) if raw else None


class ReferralIndex:
    """For each newcomer, their referrals with the owning partner and the programme."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def remember(self, beneficiary_id: str, referral_id: str, owner: str, programme: str) -> None:
        member = json.dumps([referral_id, owner, programme], ensure_ascii=False)
        await self._redis.sadd(f"{PREFIX}:referrals-of:{beneficiary_id}", member)

    async def of_beneficiary(self, beneficiary_id: str) -> list[tuple[str, str, str]]:
        members = await self._redis.smembers(f"{PREFIX}:referrals-of:{beneficiary_id}")
        return sorted(tuple(json.loads(m)) for m in members)  # type: ignore[misc]
