"""A decision window closed: its provisional holds are re-solved together with the window's newcomers who
got no seat, and with past arrivals standing for the people still to come (as many as the arrival rate
says will come before each opening's last day to refer; `domain/lookahead.py`). Each referral gets
matching's final word — stay (then it is sent), move to a better opening, or, when its seat goes to
someone else, none — and a newcomer without a seat may get one."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.households import HOUSEHOLD_NOTE
from services.matching.domain.lookahead import MAX_LOOKALIKES, RATE_DAYS, days_left_to_refer, lookalike_days
from services.matching.domain.seats import SeatMove
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.ports import Pending, Profiles, Seats, Tried, WindowDecisions
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose, ranked_opening
from shared.contract.events import (
    BeneficiaryProfile,
    DecisionWindowClosed,
    HeldSeat,
    MatchingProposal,
    ProgrammeOpening,
    WindowDecision,
    WindowMember,
)
from shared.contract.events.bounded import MAX_REASONS
from shared.contract.events.window import MAX_WINDOW_MEMBERS
from shared.messaging.projections import Publisher

log = logging.getLogger(__name__)
WINDOW_PROPOSAL_NAMESPACE = uuid.UUID("4a8e1c2d-6f3b-4d9a-8c7e-5b2a1d0f9e38")


def window_proposal_id(key: str, referral_id: str) -> str:
    return str(uuid.uuid5(WINDOW_PROPOSAL_NAMESPACE, f"{key}:{referral_id}"))


@dataclass
class WindowCloser:
    live: LiveEngine
    seats: Seats
    profiles: Profiles
    tried: Tried
    pending: Pending
    decisions: WindowDecisions
    proposals: Publisher
    clock: Clock
    policy: ProposalPolicy
    max_lookalikes: int = MAX_LOOKALIKES

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
        waiting = await self._waiting(window, frozenset(p.beneficiary_id for _, p, _ in known))
        solved, housed = await self._solve(engine, key, known, waiting)
        decided = await self.decisions.keep(key, solved)
        now = self.clock()
        by_id = {o.opening_id: o for o in engine.openings}
        # Members first (those who move or lose free their seats), then newcomers who had none.
        moves = []
        for member, _, _ in known:
            new = decided.get(member.referral_id, member.opening_id)
            moves.append(self._move(member.beneficiary_id, member.opening_id, new, by_id, now))
        given = [(p, decided[_waiting_key(p)]) for p in waiting if decided.get(_waiting_key(p))]
        if given:  # the solve took a while: whoever got a seat meanwhile (a late or amended proposal) waits no more
            still = {p.beneficiary_id for p in await self._still_waiting([p for p, _ in given])}
            given = [(p, new) for p, new in given if p.beneficiary_id in still]
        moves += [self._move(p.beneficiary_id, None, new, by_id, now) for p, new in given]
        holds = await self.seats.move_holds(moves, now)
        entries: list[tuple[str | None, str | None, BeneficiaryProfile, frozenset[str]]]
        entries = [(m.referral_id, m.opening_id, p, e) for m, p, e in known]
        entries += [(None, None, p, frozenset[str]()) for p, _ in given]
        published, moved = [], 0
        for (referral_id, previous, profile, excluded), hold in zip(entries, holds, strict=True):
            if referral_id is None and hold is None:
                continue  # the seat it was given was taken meanwhile: it keeps waiting
            subject = referral_id or _waiting_key(profile)
            proposal = await propose(
                profile, key, engine, self.seats, self.clock, self.policy,
                exclude=excluded, proposal_id=window_proposal_id(key, subject), hold_seat=False,
            )  # fmt: skip
            held = HeldSeat(opening_id=hold.opening_id, expires_at=hold.expires_at or now) if hold else None
            ranked = proposal.ranked
            if held is not None and all(r.opening_id != held.opening_id for r in ranked):
                scored = engine.score_openings(profile, [held.opening_id])[held.opening_id]
                ranked = [*ranked[: self.policy.max_ranked - 1], ranked_opening(engine, profile, scored)]
            if held is not None and profile.beneficiary_id in housed:
                ranked = [r.model_copy(update={"reasons": [*r.reasons, HOUSEHOLD_NOTE][:MAX_REASONS]})
                          if r.opening_id == held.opening_id else r for r in ranked]  # fmt: skip
            decision = WindowDecision(window_id=window.window_id, referral_id=referral_id, previous_opening_id=previous)
            final = proposal.model_copy(
                update={"held": held, "ranked": ranked, "window": decision, "waiting_since": None if held else now}
            )
            await self.proposals.publish(final, key=profile.beneficiary_id, event_id=final.proposal_id)
            published.append(final)
            moved += referral_id is not None and (held is None or held.opening_id != previous)
        log.info("decision window re-solved", extra={"window_id": window.window_id, "referrals": len(known),
                                                     "given_a_seat": len(given), "moved": moved})  # fmt: skip
        return published

    def _move(self, holder: str, old: str | None, new: str | None, by_id: dict[str, ProgrammeOpening],
              now: datetime) -> SeatMove:  # fmt: skip
        opening = by_id.get(new) if new else None
        ttl = self.policy.hold_on(opening) if opening else self.policy.hold_for
        return SeatMove(holder, old, new, now + ttl)

    async def _waiting(self, window: DecisionWindowClosed, members: frozenset[str]) -> list[BeneficiaryProfile]:
        """Among the latest MAX_WINDOW_MEMBERS arrivals of the last RATE_DAYS, those with no seat, no live
        hold and no referral: each close is another chance for them (an urgent late arrival may win a seat
        a member holds). A minute's margin before the close leaves out anyone whose real-time proposal may
        still be on its way."""
        arrived = await self.profiles.arrived_between(
            window.closed_at - timedelta(days=RATE_DAYS), window.closed_at - timedelta(minutes=1), MAX_WINDOW_MEMBERS
        )
        return await self._still_waiting([p for p in arrived if p.beneficiary_id not in members])

    async def _still_waiting(self, people: list[BeneficiaryProfile]) -> list[BeneficiaryProfile]:
        """Those of `people` with no live hold and no opening tried."""
        if not people:
            return []
        holding = {p.beneficiary_id for p in await self.pending.live(self.clock())}
        return [p for p in people if p.beneficiary_id not in holding and not await self.tried.of(p.beneficiary_id)]

    async def _solve(
        self,
        engine: MatchingEngine,
        key: str,
        known: list[tuple[WindowMember, BeneficiaryProfile, frozenset[str]]],
        waiting: list[BeneficiaryProfile],
    ) -> tuple[dict[str, str | None], frozenset[str]]:
        """Referral id (or `_waiting_key`) -> the opening decided, None for no seat; and who is housed with
        their household."""
        members = [profile for _, profile, _ in known] + waiting
        ids = frozenset(p.beneficiary_id for p in members)
        now = self.clock()
        seats = np.array([await self.seats.available(o.opening_id, now) for o in engine.openings], dtype=np.int64)
        index = {o.opening_id: j for j, o in enumerate(engine.openings)}
        for member, _, _ in known:
            if member.opening_id in index:
                seats[index[member.opening_id]] += 1  # its own provisional seat is in play
        to_refer = days_left_to_refer(engine.openings, engine.today())
        horizon = float(to_refer[seats > 0].max()) if (seats > 0).any() else 0.0
        per_day = await self.profiles.arrival_rate(now, RATE_DAYS)
        days = lookalike_days(per_day, horizon, self.max_lookalikes)
        # The future is drawn from the last RATE_DAYS' arrivals (whoever they were: they are samples).
        lookalikes = await self.profiles.recent(min(self.max_lookalikes, round(per_day * RATE_DAYS)), leaving_out=ids)
        current: list[str | None] = [m.opening_id for m, _, _ in known] + [None] * len(waiting)
        excluded = [e for _, _, e in known] + [frozenset[str]()] * len(waiting)
        solution = await asyncio.to_thread(
            engine.resolve_window, members, current, excluded, seats, lookalikes, days, to_refer,
            seed=uuid.UUID(key).int % 2**32,
        )  # fmt: skip
        subjects = [m.referral_id for m, _, _ in known] + [_waiting_key(p) for p in waiting]
        decided = {s: (o.opening_id if o else None) for s, o in zip(subjects, solution.opening_of, strict=True)}
        return decided, frozenset(members[i].beneficiary_id for i in solution.with_household)


def _waiting_key(profile: BeneficiaryProfile) -> str:
    return f"waiting:{profile.beneficiary_id}"
