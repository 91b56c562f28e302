"""Referrals' records in Redis: beneficiaries (with contact details), openings, proposals.

The referral views themselves are a projection of the event log: see `referral_views.py`."""

from __future__ import annotations

from redis.asyncio import Redis

from services.referrals.domain.signing import CirSigningCreate
from shared.events import MatchingProposal, ProgrammeOpening

PREFIX = "referrals"


class ReferralStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    # beneficiaries
    async def get_signing(self, beneficiary_id: str) -> CirSigningCreate | None:
        raw = await self._redis.get(f"{PREFIX}:beneficiary:{beneficiary_id}")
        return CirSigningCreate.model_validate_json(raw) if raw else None

    async def save_signing(self, signing: CirSigningCreate) -> None:
        await self._redis.set(f"{PREFIX}:beneficiary:{signing.beneficiary_id}", signing.model_dump_json())

    # openings
    async def get_opening(self, opening_id: str) -> ProgrammeOpening | None:
        raw = await self._redis.hget(f"{PREFIX}:openings", opening_id)
        return ProgrammeOpening.model_validate_json(raw) if raw else None

    async def save_opening(self, opening: ProgrammeOpening) -> None:
        await self._redis.hset(f"{PREFIX}:openings", opening.opening_id, opening.model_dump_json())

    async def list_openings(self) -> list[ProgrammeOpening]:
        raw = await self._redis.hgetall(f"{PREFIX}:openings")
        return sorted((ProgrammeOpening.model_validate_json(v) for v in raw.values()), key=lambda o: o.opening_id)

    # proposals
    async def save_latest_proposal(self, proposal: MatchingProposal) -> None:
        await self._redis.set(f"{PREFIX}:proposal:{proposal.beneficiary_id}", proposal.model_dump_json())

    async def latest_proposal(self, beneficiary_id: str) -> MatchingProposal | None:
        raw = await self._redis.get(f"{PREFIX}:proposal:{beneficiary_id}")
        return MatchingProposal.model_validate_json(raw) if raw else None

    async def mark_published(self, event_id: str) -> None:
        await self._redis.set(f"{PREFIX}:published:{event_id}", 1)

    async def was_published(self, event_id: str) -> bool:
        return bool(await self._redis.exists(f"{PREFIX}:published:{event_id}"))
