"""What matching is asked to do outside its consumed events (its schedule, for now), and the handler of
each: the service's command side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.matching.service_layer.live_engine import LiveEngine, reoptimise
from services.matching.service_layer.ports import Lease, Pending
from services.matching.service_layer.propose import Clock
from services.matching.service_layer.standing_demand import StandingDemand
from shared.messaging.command_bus import Command, CommandBus


@dataclass(frozen=True)
class Reoptimise(Command[int]):
    """Re-solve the batch of newcomers with a live proposal for fresh seat prices, on one instance at a time
    (`lease_ms`: how long this instance keeps the turn). Returns how many newcomers were solved."""

    lease_ms: int


@dataclass(frozen=True)
class OfferSeatsToTheWaiting(Command[int]):
    """The safety net of the standing demand: every opening with a seat left is offered to the waiting
    newcomers it fits (what an event missed). Returns how many were given a seat."""

    at: datetime


def matching_commands(
    live: LiveEngine, pending: Pending, lease: Lease, clock: Clock, max_profiles: int, demand: StandingDemand
) -> CommandBus:
    async def reoptimise_batch(command: Reoptimise) -> int:
        if not await lease.acquire(command.lease_ms):
            return 0  # another instance has the turn
        return await reoptimise(live, pending, clock, max_profiles)

    async def sweep(command: OfferSeatsToTheWaiting) -> int:
        return await demand.offer(None, cause=f"sweep:{command.at.isoformat()}")

    return CommandBus({Reoptimise: reoptimise_batch, OfferSeatsToTheWaiting: sweep})
