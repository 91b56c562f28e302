"""Nobody left waiting: a newcomer who wanted a seat and got none waits in matching's room, since the
moment it happened. When an opening is published or gains seats, or a seat is released, the waiting people
it fits are offered it at once, the best first (the value the batch maximises, which counts the legal
deadline's urgency, then the longest wait), each holding a seat as a signing does. A periodic sweep is the
safety net for anything missed.

The work per event is bounded (`MAX_CONSIDERED` people scored, `MAX_OFFERS` proposals), and each person
is claimed while an offer is made for them: two openings published together never hold two seats for one
person."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.matching.domain.engine import MatchingEngine
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.ports import Profiles, Seats, Tried, WaitingRoom
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose
from shared.contract.events import BeneficiaryProfile
from shared.messaging.projections import Publisher

log = logging.getLogger(__name__)
OFFER_NAMESPACE = uuid.UUID("5d1f0b7e-2a4c-4e8d-9b6f-1c3e5a7d9f20")
MAX_CONSIDERED = 500  # the longest-waiting people scored per event
MAX_OFFERS = 50  # proposals made per event (more seats than that: the sweep goes on)
CLAIM_MS = 60_000


@dataclass(frozen=True)
class Offer:
    beneficiary_id: str
    opening_id: str


@dataclass
class StandingDemand:
    live: LiveEngine
    waiting: WaitingRoom
    profiles: Profiles
    tried: Tried
    seats: Seats
    proposals: Publisher
    clock: Clock
    policy: ProposalPolicy

    async def offer(self, opening_ids: Iterable[str] | None, cause: str) -> int:
        """Offer the seats of these openings (every opening with a seat left, when None) to the waiting
        people they fit; `cause` (the event or sweep behind it) makes the proposals' ids stable when the
        same cause is handled again. Returns how many newcomers were given a seat."""
        engine = await self.live.current()
        now = self.clock()
        known = {o.opening_id for o in engine.openings}
        wanted = known if opening_ids is None else known & set(opening_ids)
        left = {i: n for i in sorted(wanted) if (n := await self.seats.available(i, now)) > 0}
        if not left:
            return 0
        queue = await self.waiting.longest_waiting(MAX_CONSIDERED)
        if not queue:
            return 0
        profiles = await self.profiles.many([b for b, _ in queue])
        offers = await self._ranked(engine, [(profiles[b], since) for b, since in queue if b in profiles], left)
        given = 0
        for offer in offers:
            if given >= MAX_OFFERS or not any(n > 0 for n in left.values()):
                break
            if left.get(offer.opening_id, 0) <= 0:
                continue
            profile = profiles[offer.beneficiary_id]
            held = await self._offer(engine, profile, cause)
            if held is not None:
                given += 1
                if held in left:
                    left[held] -= 1
        if given:
            log.info("seats offered to waiting newcomers", extra={"given": given, "cause": cause})
        return given

    async def _ranked(
        self, engine: MatchingEngine, waiting: list[tuple[BeneficiaryProfile, datetime]], left: dict[str, int]
    ) -> list[Offer]:
        """Each waiting person's best opening among those with seats left, the best value first, then the
        longest wait (the queue's order)."""
        offers: list[tuple[float, int, Offer]] = []
        for rank, (profile, _) in enumerate(waiting):
            tried = await self.tried.of(profile.beneficiary_id)
            for candidate in engine.candidates(profile, exclude=tried):
                if candidate.opening.opening_id in left and candidate.worth_a_seat:
                    offer = Offer(profile.beneficiary_id, candidate.opening.opening_id)
                    offers.append((-candidate.value, rank, offer))
                    break
        return [offer for _, _, offer in sorted(offers, key=lambda o: (o[0], o[1]))]

    async def _offer(self, engine: MatchingEngine, profile: BeneficiaryProfile, cause: str) -> str | None:
        """Propose to one waiting person, claimed for the time of it; the opening held, or None."""
        person = profile.beneficiary_id
        if not await self.waiting.claim(person, CLAIM_MS):
            return None  # another offer is being made for them right now
        try:
            since = await self.waiting.since(person)
            if since is None:
                return None  # given a seat meanwhile (another offer, a referral by hand)
            key = f"{cause}:{person}"
            proposal = await propose(
                profile, key, engine, self.seats, self.clock, self.policy,
                exclude=await self.tried.of(person), proposal_id=str(uuid.uuid5(OFFER_NAMESPACE, key)),
                waiting_since=since,
            )  # fmt: skip
            if proposal.held is None:
                return None  # the seat went meanwhile: they keep waiting, nothing to say
            await self.proposals.publish(proposal, key=person, event_id=proposal.proposal_id)
            return proposal.held.opening_id
        finally:
            await self.waiting.unclaim(person)
