"""Turning one profile into a proposal in real time: ranked openings, and a seat held on the best one
that is worth its price (the dual price of the last batch solve)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from services.matching.domain.eligibility import RULESET_VERSION, Outcome, decide
from services.matching.domain.geography import reachable
from services.matching.service_layer.ports import Seats
from shared.contract.events import (
    BeneficiaryProfile,
    HeldSeat,
    MatchingProposal,
    NotEligible,
    ProgrammeOpening,
    RankedOpening,
)
from shared.contract.events.bounded import MAX_NOT_ELIGIBLE, MAX_REMEDIES, WHY_NOT_CHARS

if TYPE_CHECKING:
    from services.matching.domain.engine import Candidate, MatchingEngine

PROPOSAL_NAMESPACE = uuid.UUID("7b0c4a52-51b8-4c5e-9f0b-3c2a4d5e6f70")
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ProposalPolicy:
    max_ranked: int = 5
    hold_for: timedelta = timedelta(days=7)

    def hold_on(self, opening: ProgrammeOpening) -> timedelta:
        """A seat is held at least until the partner's time to answer is over (a day's margin): SPIE answers
        within 30 days, and a hold that lapsed first would let the seat go to someone else meanwhile."""
        return max(self.hold_for, timedelta(days=opening.response_days + 1))


def proposal_id_for(profile_event_id: str) -> str:
    """The same profile event always yields the same proposal id, so redelivery is recognisable."""
    return str(uuid.uuid5(PROPOSAL_NAMESPACE, profile_event_id))


async def propose(
    profile: BeneficiaryProfile,
    profile_event_id: str,
    engine: MatchingEngine,
    seats: Seats,
    clock: Clock,
    policy: ProposalPolicy,
    exclude: frozenset[str] = frozenset(),
    proposal_id: str | None = None,
    hold_seat: bool = True,
    waiting_since: datetime | None = None,
) -> MatchingProposal:
    """`exclude`: openings already tried (a re-routed newcomer is not sent back where they were refused);
    `hold_seat=False` ranks and explains without holding a seat (someone already placed elsewhere). A
    newcomer who wanted a seat and got none waits from now, or from `waiting_since` if they waited already
    (the proposal says so, and the waiting room keeps them: standing_demand.py)."""
    now = clock()
    candidates = engine.candidates(profile, exclude=exclude)
    held = None
    for candidate in candidates if hold_seat else []:
        if not candidate.worth_a_seat:
            continue
        ttl = policy.hold_on(candidate.opening)
        hold = await seats.hold(candidate.opening.opening_id, profile.beneficiary_id, now, ttl)
        if hold is not None:
            held = HeldSeat(opening_id=hold.opening_id, expires_at=hold.expires_at or now + ttl)
            break
    shown = candidates[: policy.max_ranked]
    if held is not None and all(c.opening.opening_id != held.opening_id for c in shown):
        shown += [c for c in candidates if c.opening.opening_id == held.opening_id]
    ranked = [ranked_opening(engine, profile, c) for c in shown]
    return MatchingProposal(
        proposal_id=proposal_id or proposal_id_for(profile_event_id),
        beneficiary_id=profile.beneficiary_id,
        profile_event_id=profile_event_id,
        ruleset_version=RULESET_VERSION,
        decided_at=now,
        ranked=ranked,
        held=held,
        profile_version=profile.version,
        not_eligible=why_not(profile, engine.openings),
        waiting_since=(waiting_since or now) if hold_seat and held is None else None,
        model_version=engine.model.version,
    )


def ranked_opening(engine: MatchingEngine, profile: BeneficiaryProfile, candidate: Candidate) -> RankedOpening:
    """One opening as a proposal lists it: its score and the reasons behind it."""
    return RankedOpening(
        opening_id=candidate.opening.opening_id,
        partner_id=candidate.opening.partner_id,
        programme=candidate.opening.programme,
        score=round(min(max(candidate.probability, 0.0), 1.0), 4),
        reasons=engine.reasons(profile, candidate),
    )


def why_not(profile: BeneficiaryProfile, openings: list[ProgrammeOpening]) -> list[NotEligible]:
    """Each programme with no opening the newcomer is eligible for, explained on its closest opening (the
    fewest rules nothing can lift, then the fewest failed), with what would make them eligible."""
    closest: dict[str, tuple[tuple[int, bool, int], NotEligible]] = {}
    eligible: set[str] = set()
    for opening in openings:
        decision = decide(profile, opening)
        if decision.eligible:
            eligible.add(opening.programme)
            continue
        if decision.only_for_a_return and profile.return_country is None:
            continue  # a return programme, for someone who asked for no return
        blocking = [r for r in decision.results if r.outcome is not Outcome.PASS]
        entry = NotEligible(
            programme=opening.programme,
            opening_id=opening.opening_id,
            partner_id=opening.partner_id,
            failures=[r.reason.removesuffix(f"; {r.remedy}")[:WHY_NOT_CHARS] for r in blocking[:3]],
            remedies=_all_said(decision.remedies),
        )
        # Closest: the fewest rules that nothing can lift, then one the person can reach (the session in
        # Corsica does not explain a programme to someone in Caen who has one nearby), then the fewest failed.
        far = not reachable(profile.department, profile.mobility, opening.department)
        distance = (sum(1 for r in blocking if not r.remedy), far, len(blocking))
        known = closest.get(opening.programme)
        if known is None or distance < known[0]:
            closest[opening.programme] = (distance, entry)
    ruled_out = [entry for programme, (_, entry) in sorted(closest.items()) if programme not in eligible]
    return ruled_out[:MAX_NOT_ELIGIBLE]


def _all_said(remedies: list[str]) -> list[str]:
    """Every remedy, within the contract's bounds: beyond the last slot they share it (each is named)."""
    if len(remedies) <= MAX_REMEDIES:
        return [r[:WHY_NOT_CHARS] for r in remedies]
    head, tail = remedies[: MAX_REMEDIES - 1], remedies[MAX_REMEDIES - 1 :]
    return [r[:WHY_NOT_CHARS] for r in head] + [" ; ".join(tail)[:WHY_NOT_CHARS]]
