"""A decision window closed: its provisional holds are re-solved together, with recent arrivals standing
for the people still to come, and each referral gets matching's final word — stay (then it is sent), move
to a better opening, or, when its seat is gone, none."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

import numpy as np

from services.matching.domain.seats import SeatMove
from services.matching.service_layer.engine import MatchingEngine
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.ports import Profiles, Seats, Tried, WindowDecisions
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose, ranked_opening
from shared.events import (
    BeneficiaryProfile,
    DecisionWindowClosed,
    HeldSeat,
    MatchingProposal,
    WindowDecision,
    WindowMember,
)
from shared.projections import Publisher

log = logging.getLogger(__name__)
WINDOW_PROPOSAL_NAMESPACE = uuid.UUID("4a8e1c2d-6f3b-4d9a-8c7e-5b2a1d0f9e38")
# Recent arrivals per member that stand for the people still to come (3: the next windows look like this one).
LOOKAHEAD = 3


def window_proposal_id(key: str, referral_id: str) -> str:
    return str(uuid.uuid5(WINDOW_PROPOSAL_NAMESPACE, f"{key}:{referral_id}"))


@dataclass
class WindowCloser:
    live: LiveEngine
    seats: Seats
    profiles: Profiles
    tried: Tried
    decisions: WindowDecisions
    proposals: Publisher
    clock: Clock
    policy: ProposalPolicy
    lookahead: int = LOOKAHEAD

    async def close(self, window: DecisionWindowClosed) -> list[MatchingProposal]:
        engine = await self.live.current()
        # By content, not delivery: a window published or delivered again is answered with the decision
        # taken the first time (moving seats twice would undo the first move).
        key = window.content_id()
        known: list[tuple[WindowMember, BeneficiaryProfile, frozenset[str]]] = []
        for member in window.members:
            profile = await self.profiles.get(member.beneficiary_id)
            if profile is None:  # erased, or a profile matching never saw: nothing to decide on
                log.warning("window member without a profile", extra={"referral_id": member.referral_id})
                continue
            tried = await self.tried.of(member.beneficiary_id)
            known.append((member, profile, tried - {member.opening_id}))
        if not known:
            return []
        decided = await self.decisions.keep(key, await self._solve(engine, known))
        now = self.clock()
        by_id = {o.opening_id: o for o in engine.openings}
        moves = []
        for member, _, _ in known:
            new = decided.get(member.referral_id, member.opening_id)
            opening = by_id.get(new) if new else None
            ttl = self.policy.hold_on(opening) if opening else self.policy.hold_for
            moves.append(SeatMove(member.beneficiary_id, member.opening_id, new, now + ttl))
        holds = await self.seats.move_holds(moves, now)
        published, moved = [], 0
        for (member, profile, excluded), hold in zip(known, holds, strict=True):
            proposal = await propose(
                profile, key, engine, self.seats, self.clock, self.policy,
                exclude=excluded, proposal_id=window_proposal_id(key, member.referral_id),
                hold_seat=False,
            )  # fmt: skip
            held = HeldSeat(opening_id=hold.opening_id, expires_at=hold.expires_at or now) if hold else None
            ranked = proposal.ranked
            if held is not None and all(r.opening_id != held.opening_id for r in ranked):
                scored = engine.score_openings(profile, [held.opening_id])[held.opening_id]
                ranked = [*ranked[: self.policy.max_ranked - 1], ranked_opening(engine, profile, scored)]
            decision = WindowDecision(
                window_id=window.window_id, referral_id=member.referral_id, previous_opening_id=member.opening_id
            )
            final = proposal.model_copy(update={"held": held, "ranked": ranked, "window": decision})
            await self.proposals.publish(final, key=profile.beneficiary_id, event_id=final.proposal_id)
            published.append(final)
            moved += held is None or held.opening_id != member.opening_id
        log.info("decision window re-solved", extra={"window_id": window.window_id, "referrals": len(published),
                                                     "moved": moved})  # fmt: skip
        return published

    async def _solve(
        self, engine: MatchingEngine, known: list[tuple[WindowMember, BeneficiaryProfile, frozenset[str]]]
    ) -> dict[str, str | None]:
        members = [profile for _, profile, _ in known]
        ids = frozenset(p.beneficiary_id for p in members)
        lookalikes = await self.profiles.recent(self.lookahead * len(members), leaving_out=ids)
        now = self.clock()
        seats = np.array([await self.seats.available(o.opening_id, now) for o in engine.openings], dtype=np.int64)
        index = {o.opening_id: j for j, o in enumerate(engine.openings)}
        for member, _, _ in known:
            if member.opening_id in index:
                seats[index[member.opening_id]] += 1  # its own provisional seat is in play
        chosen = await asyncio.to_thread(
            engine.resolve_window, members, [m.opening_id for m, _, _ in known], [e for _, _, e in known],
            lookalikes, seats,
        )  # fmt: skip
        return {m.referral_id: (o.opening_id if o else None) for (m, _, _), o in zip(known, chosen, strict=True)}
