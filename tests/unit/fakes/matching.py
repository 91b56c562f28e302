"""In-memory stand-ins for matching's ports (`services/matching/service_layer/ports.py`); the seat ledger
follows the Lua scripts of `services/matching/adapters/seat_ledger.py` step by step."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.matching.domain.seats import Hold, SeatMove
from services.matching.service_layer.history import OutcomeRecord
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening, SuccessModelTrained


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class FakeSeats:
    capacities: dict[str, int] = field(default_factory=dict)
    holds: dict[str, dict[str, int]] = field(default_factory=dict)  # opening -> holder -> expiry (ms)
    confirmed: dict[str, set[str]] = field(default_factory=dict)

    def _expire(self, opening_id: str, now: datetime) -> tuple[dict[str, int], set[str]]:
        holds = self.holds.setdefault(opening_id, {})
        for holder in [h for h, expiry in holds.items() if expiry <= _ms(now)]:
            del holds[holder]
        return holds, self.confirmed.setdefault(opening_id, set())

    async def set_capacity(self, opening_id: str, seats: int) -> None:
        self.capacities[opening_id] = seats

    async def capacity(self, opening_id: str) -> int:
        return self.capacities.get(opening_id, 0)

    async def hold(self, opening_id: str, holder: str, now: datetime, ttl: timedelta) -> Hold | None:
        holds, confirmed = self._expire(opening_id, now)
        if holder in confirmed:
            return Hold(opening_id, holder, None)
        if holder not in holds:
            if len(holds) + len(confirmed) >= self.capacities.get(opening_id, 0):
                return None
            holds[holder] = _ms(now + ttl)
        return Hold(opening_id, holder, datetime.fromtimestamp(holds[holder] / 1000, UTC))

    async def confirm(self, opening_id: str, holder: str, now: datetime) -> bool:
        holds, confirmed = self._expire(opening_id, now)
        if holder in confirmed:
            return True
        if holds.pop(holder, None) is not None or len(holds) + len(confirmed) < self.capacities.get(opening_id, 0):
            confirmed.add(holder)
            return True
        return False

    async def release(self, opening_id: str, holder: str) -> bool:
        held = self.holds.setdefault(opening_id, {}).pop(holder, None) is not None
        was_confirmed = holder in self.confirmed.setdefault(opening_id, set())
        self.confirmed[opening_id].discard(holder)
        return held or was_confirmed

    async def restore_hold(self, opening_id: str, holder: str, expires_at: datetime) -> None:
        if holder not in self.confirmed.setdefault(opening_id, set()):
            self.holds.setdefault(opening_id, {})[holder] = _ms(expires_at)

    async def confirmed_on_any(self, opening_ids: list[str], holder: str) -> bool:
        return any(holder in self.confirmed.get(o, set()) for o in opening_ids)

    async def available(self, opening_id: str, now: datetime) -> int:
        """What is left: as the Lua script, expired holds are dropped; an opening never held stays absent."""
        holds = self.holds.get(opening_id, {})
        for holder in [h for h, expiry in holds.items() if expiry <= _ms(now)]:
            del holds[holder]
        confirmed = self.confirmed.get(opening_id, set())
        return max(self.capacities.get(opening_id, 0) - len(holds) - len(confirmed), 0)

    async def move_holds(self, moves: list[SeatMove], now: datetime) -> list[Hold | None]:
        for opening_id in {o for m in moves for o in (m.old, m.new) if o is not None}:
            self._expire(opening_id, now)
        for move in moves:
            if move.old is not None and move.old != move.new:
                self.holds.setdefault(move.old, {}).pop(move.holder, None)
        result: list[Hold | None] = []
        for move in moves:
            got = None
            # No seat meant for it: it gives its own up (the Lua script does the same).
            for opening_id in [o for o in (move.new, move.old) if o is not None and move.new is not None]:
                holds, confirmed = self.holds.setdefault(opening_id, {}), self.confirmed.setdefault(opening_id, set())
                if move.holder not in holds and len(holds) + len(confirmed) < self.capacities.get(opening_id, 0):
                    holds[move.holder] = _ms(move.expires_at)
                if move.holder in holds:
                    got = Hold(opening_id, move.holder, datetime.fromtimestamp(holds[move.holder] / 1000, UTC))
                    break
            result.append(got)
        return result


@dataclass
class FakeOpenings:
    openings: dict[str, ProgrammeOpening] = field(default_factory=dict)
    changes: int = 0

    async def upsert(self, opening: ProgrammeOpening) -> None:
        self.openings[opening.opening_id] = opening
        self.changes += 1

    async def version(self) -> int:
        return self.changes

    async def get(self, opening_id: str) -> ProgrammeOpening | None:
        return self.openings.get(opening_id)

    async def all(self) -> list[ProgrammeOpening]:
        return sorted(self.openings.values(), key=lambda o: o.opening_id)

    async def count(self) -> int:
        return len(self.openings)


@dataclass
class FakeProfiles:
    profiles: dict[str, BeneficiaryProfile] = field(default_factory=dict)
    arrivals: dict[str, datetime] = field(default_factory=dict)

    async def remember(self, profile: BeneficiaryProfile, at: datetime) -> None:
        self.profiles[profile.beneficiary_id] = profile
        self.arrivals.setdefault(profile.beneficiary_id, at)

    async def recent(self, count: int, leaving_out: frozenset[str] = frozenset()) -> list[BeneficiaryProfile]:
        latest = sorted(self.arrivals, key=lambda b: (self.arrivals[b], b), reverse=True)
        return [self.profiles[b] for b in latest if b not in leaving_out][: max(count, 0)]

    async def arrival_rate(self, now: datetime, days: int) -> float:
        if not self.arrivals:
            return 0.0
        since = max(now - timedelta(days=days), min(self.arrivals.values()))
        count = sum(1 for at in self.arrivals.values() if since <= at <= now)
        return count / max(1.0, (now - since) / timedelta(days=1))

    async def arrived_between(self, start: datetime, end: datetime, limit: int) -> list[BeneficiaryProfile]:
        latest = sorted(((at, b) for b, at in self.arrivals.items() if start <= at <= end), reverse=True)
        return [self.profiles[b] for _, b in latest][:limit]

    async def get(self, beneficiary_id: str) -> BeneficiaryProfile | None:
        return self.profiles.get(beneficiary_id)

    async def many(self, beneficiary_ids: list[str]) -> dict[str, BeneficiaryProfile]:
        return {i: self.profiles[i] for i in beneficiary_ids if i in self.profiles}


@dataclass
class FakeWaitingRoom:
    """As `adapters/waiting_room.py`: the earliest `since` kept; a claim lasts until it expires or is undone."""

    waiting: dict[str, datetime] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)

    async def wait(self, beneficiary_id: str, since: datetime) -> None:
        self.waiting.setdefault(beneficiary_id, since)

    async def leave(self, beneficiary_id: str) -> None:
        self.waiting.pop(beneficiary_id, None)

    async def since(self, beneficiary_id: str) -> datetime | None:
        await asyncio.sleep(0)
        return self.waiting.get(beneficiary_id)

    async def longest_waiting(self, limit: int) -> list[tuple[str, datetime]]:
        await asyncio.sleep(0)  # a round trip: offers made side by side interleave here, as on Redis
        return sorted(self.waiting.items(), key=lambda item: (item[1], item[0]))[:limit]

    async def count(self) -> int:
        return len(self.waiting)

    async def claim(self, beneficiary_id: str, ttl_ms: int) -> bool:
        await asyncio.sleep(0)
        if beneficiary_id in self.claims:
            return False
        self.claims.add(beneficiary_id)
        return True

    async def unclaim(self, beneficiary_id: str) -> None:
        self.claims.discard(beneficiary_id)


@dataclass
class FakeTried:
    tried: dict[str, set[str]] = field(default_factory=dict)

    async def add(self, beneficiary_id: str, opening_id: str) -> None:
        self.tried.setdefault(beneficiary_id, set()).add(opening_id)

    async def of(self, beneficiary_id: str) -> frozenset[str]:
        return frozenset(self.tried.get(beneficiary_id, set()))


@dataclass
class FakeChoices:
    chosen: dict[str, str] = field(default_factory=dict)

    async def choose(self, beneficiary_id: str, opening_id: str) -> None:
        self.chosen[beneficiary_id] = opening_id

    async def clear(self, beneficiary_id: str, opening_id: str) -> None:
        if self.chosen.get(beneficiary_id) == opening_id:
            del self.chosen[beneficiary_id]

    async def of(self, beneficiary_id: str) -> str | None:
        return self.chosen.get(beneficiary_id)


@dataclass
class FakePending:
    pending: dict[str, tuple[BeneficiaryProfile, datetime]] = field(default_factory=dict)

    async def add(self, profile: BeneficiaryProfile, expires_at: datetime) -> None:
        self.pending[profile.beneficiary_id] = (profile, expires_at)

    async def refresh(self, profile: BeneficiaryProfile) -> None:
        if profile.beneficiary_id in self.pending:
            self.pending[profile.beneficiary_id] = (profile, self.pending[profile.beneficiary_id][1])

    async def live(self, now: datetime, limit: int | None = None) -> list[BeneficiaryProfile]:
        for beneficiary_id in [b for b, (_, expires) in self.pending.items() if expires <= now]:
            del self.pending[beneficiary_id]
        held = sorted(self.pending.values(), key=lambda entry: entry[1], reverse=True)
        return [profile for profile, _ in held[:limit]]


@dataclass
class FakeWindowDecisions:
    decisions: dict[str, dict[str, str | None]] = field(default_factory=dict)

    async def keep(self, window_event_id: str, decided: dict[str, str | None]) -> dict[str, str | None]:
        return self.decisions.setdefault(window_event_id, decided)


@dataclass
class FakePrices:
    prices: dict[str, float] = field(default_factory=dict)

    async def load(self) -> dict[str, float]:
        return dict(self.prices)

    async def replace(self, prices: dict[str, float]) -> None:
        self.prices = dict(prices)


@dataclass
class FakeOutcomes:
    outcomes: dict[str, OutcomeRecord] = field(default_factory=dict)

    async def add(self, referral_id: str, record: OutcomeRecord) -> bool:
        if referral_id in self.outcomes:
            return False
        self.outcomes[referral_id] = record
        return True

    async def all(self) -> list[OutcomeRecord]:
        return list(self.outcomes.values())

    async def count(self) -> int:
        return len(self.outcomes)


@dataclass
class FakeModels:
    kept: SuccessModelTrained | None = None

    async def keep(self, artefact: SuccessModelTrained) -> bool:
        if self.kept is not None and artefact.version <= self.kept.version:
            return False
        self.kept = artefact
        return True

    async def version(self) -> int:
        return self.kept.version if self.kept else 0

    async def latest(self) -> SuccessModelTrained | None:
        return self.kept


class FakeLease:
    """Whose turn it is to re-solve: this instance's unless a test says another has it."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.free = True

    async def acquire(self, ttl_ms: int) -> bool:
        self.asked.append(ttl_ms)
        return self.free
