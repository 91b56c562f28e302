"""What matching does when a referral moves: confirm or release the seat, re-route, learn from outcomes."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.matching.adapters.batch_state import PendingProfiles
from services.matching.adapters.newcomers import ProfileBook, TriedOpenings
from services.matching.adapters.openings_view import OpeningsView
from services.matching.adapters.outcome_log import OutcomeLog
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.service_layer.history import OutcomeRecord, learn_from
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose
from shared.events import MatchingProposal, ReferralEvent
from shared.referral_lifecycle import CONFIRMS_SEAT, RELEASES_SEAT, REROUTE_AFTER, SUCCESSFUL_OUTCOMES
from shared.vocabulary import ReferralEventKind, ReferralStatus

log = logging.getLogger(__name__)
REROUTE_NAMESPACE = uuid.UUID("c7f4b1e2-0d3a-4f5b-8e6c-9a1b2c3d4e5f")
RETRAIN_EVERY = 25


@dataclass
class Feedback:
    seats: SeatLedger
    pending: PendingProfiles
    profiles: ProfileBook
    tried: TriedOpenings
    outcomes: OutcomeLog
    openings: OpeningsView
    engine: LiveEngine
    clock: Clock
    policy: ProposalPolicy

    async def on_referral(self, event: ReferralEvent) -> MatchingProposal | None:
        """Apply one referral event; return the re-routing proposal to publish, if any."""
        if event.kind is ReferralEventKind.OUTCOME:
            if await self.record_outcome(event) and await self.outcomes.count() % RETRAIN_EVERY == 0:
                await self.retrain()
            return None
        if event.kind is not ReferralEventKind.STATUS:
            return None
        await self.apply_to_seats(event, self.clock())
        if event.status in REROUTE_AFTER:
            return await self._reroute(event)
        return None

    async def apply_to_seats(self, event: ReferralEvent, now: datetime) -> None:
        """What a status change does to the seat ledger and the openings tried (also used by the rebuild)."""
        if event.status is ReferralStatus.PROPOSED:
            await self.tried.add(event.beneficiary_id, event.opening_id)
            if event.actor == "auditor" or event.actor.startswith("auditor:"):  # by hand: hold a seat if any
                opening = await self.openings.get(event.opening_id)
                ttl = self.policy.hold_on(opening) if opening else self.policy.hold_for
                await self.seats.hold(event.opening_id, event.beneficiary_id, now, ttl)
        elif event.status in CONFIRMS_SEAT:
            await self.seats.confirm(event.opening_id, event.beneficiary_id, now)
        elif event.status in RELEASES_SEAT:
            await self.seats.release(event.opening_id, event.beneficiary_id)

    async def _reroute(self, event: ReferralEvent) -> MatchingProposal | None:
        profile = await self.profiles.get(event.beneficiary_id)
        if profile is None:
            log.warning("cannot re-route: profile unknown", extra={"beneficiary_id": event.beneficiary_id})
            return None
        engine = await self.engine.current()
        key = f"{event.referral_id}:{event.sequence}"
        proposal = await propose(
            profile, key, engine, self.seats, self.clock, self.policy,
            exclude=await self.tried.of(event.beneficiary_id),
            proposal_id=str(uuid.uuid5(REROUTE_NAMESPACE, key)),
        )  # fmt: skip
        if proposal.held is not None:
            await self.pending.add(profile, proposal.held.expires_at)
        return proposal

    async def record_outcome(self, event: ReferralEvent) -> bool:
        """Keep an outcome once per referral; False for a repeat or when the profile or opening is unknown."""
        profile = await self.profiles.get(event.beneficiary_id)
        opening = await self.openings.get(event.opening_id)
        if profile is None or opening is None or event.outcome is None:
            return False
        record = OutcomeRecord(profile=profile, opening=opening, success=event.outcome in SUCCESSFUL_OUTCOMES)
        return await self.outcomes.add(event.referral_id, record)

    async def retrain(self) -> None:
        report = await asyncio.to_thread(learn_from, await self.outcomes.all())
        self.engine.use_model(report.model)
        log.info("success model retrained", extra={"outcomes": await self.outcomes.count(), "model": report.note})
