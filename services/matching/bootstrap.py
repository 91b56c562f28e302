"""Matching, wired: the one composition root. Production passes the Redis adapters and the broker's
publishers (`create_app`, main.py); the unit tests pass in-memory fakes and a log in memory. The
projections, the consumed topics' routes (from the topology and the event handlers) and the use cases are
built here and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from services.matching.adapters.batch_state import Lease as RedisLease
from services.matching.adapters.batch_state import PendingProfiles, SeatPrices, WindowDecisionBook
from services.matching.adapters.model_store import ModelStore
from services.matching.adapters.newcomers import ChoiceBook, ProfileBook, TriedOpenings
from services.matching.adapters.openings_view import OpeningsView
from services.matching.adapters.outcome_log import OutcomeLog
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.adapters.waiting_room import WaitingRoom as RedisWaitingRoom
from services.matching.config import MatchingSettings
from services.matching.domain.success_model import SuccessModel, prior_model
from services.matching.entrypoints.consumers import EVENT_HANDLERS
from services.matching.service_layer.commands import matching_commands
from services.matching.service_layer.decision_window import WindowCloser
from services.matching.service_layer.history import OutcomeRecord, learn_from, read_jsonl
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.ports import (
    Choices,
    Lease,
    Models,
    Openings,
    Outcomes,
    Pending,
    Prices,
    Profiles,
    Seats,
    Tried,
    WaitingRoom,
    WindowDecisions,
)
from services.matching.service_layer.projections import MatchingProjections
from services.matching.service_layer.propose import ProposalPolicy
from services.matching.service_layer.referral_feedback import Feedback
from services.matching.service_layer.standing_demand import StandingDemand
from services.matching.topology import TOPOLOGY
from shared.contract.paris_time import paris_date
from shared.contract.topics import MATCHING_MODEL, MATCHING_PROPOSAL
from shared.messaging.command_bus import CommandBus
from shared.messaging.consuming import Route
from shared.messaging.injection import inject_all
from shared.messaging.projections import EventLog, ProjectingPublisher, ProjectionTable, rebuild_from_log
from shared.messaging.topology import Outlet

SERVICE = TOPOLOGY.service
log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass
class MatchingAdapters:
    """Matching's state: Redis in production (`redis_adapters`), in-memory fakes in the unit tests."""

    openings: Openings
    prices: Prices
    pending: Pending
    seats: Seats
    profiles: Profiles
    models: Models
    tried: Tried
    outcomes: Outcomes
    window_decisions: WindowDecisions
    lease: Lease  # whose turn it is to re-solve the batch
    waiting: WaitingRoom
    choices: Choices


def redis_adapters(redis: Redis, instance_id: str, namespace: str | None = None) -> MatchingAdapters:
    """Matching's state in Redis, under its usual keys, or all under `namespace` (tests sharing a Redis)."""

    def key(name: str, usual: str) -> str:
        return usual if namespace is None else f"{namespace}:{name}"

    return MatchingAdapters(
        openings=OpeningsView(redis, key("openings", "matching:openings")),
        prices=SeatPrices(redis, key("prices", "matching:prices")),
        pending=PendingProfiles(redis, key("pending", "matching:pending")),
        seats=SeatLedger(redis, key("seats", "seats")),
        profiles=ProfileBook(redis, key("profiles", "matching:profiles")),
        models=ModelStore(redis, key("model", "matching:model")),
        tried=TriedOpenings(redis, key("tried", "matching:tried")),
        outcomes=OutcomeLog(redis, key("outcomes", "matching:outcomes")),
        window_decisions=WindowDecisionBook(redis, key("window-decision", "matching:window-decision")),
        lease=RedisLease(redis, key("reoptimise-lease", "matching:reoptimise-lease"), instance_id),
        waiting=RedisWaitingRoom(redis, key("waiting", "matching:waiting")),
        choices=ChoiceBook(redis, key("chosen", "matching:chosen")),
    )


@dataclass
class Matching:
    adapters: MatchingAdapters
    table: ProjectionTable
    routes: list[Route]
    live: LiveEngine
    feedback: Feedback
    windows: WindowCloser
    policy: ProposalPolicy
    demand: StandingDemand
    bus: CommandBus  # what the schedule asks: Reoptimise, OfferSeatsToTheWaiting
    rebuild: Callable[[], Awaitable[dict[str, int]]]


def bootstrap(
    settings: MatchingSettings,
    adapters: MatchingAdapters,
    outlet: Outlet,
    event_log: EventLog,
    clock: Clock,
    failed: Callable[[str, str], Any],
    history: Sequence[OutcomeRecord] = (),
    own_model: SuccessModel | None = None,
) -> Matching:
    """`failed(topic, reason)` reports what the trainer refused to publish; `history` and `own_model` are
    what `start_up_history` gives an instance started with a history file."""
    a = adapters
    policy = ProposalPolicy(max_ranked=settings.max_ranked, hold_for=timedelta(days=settings.seat_hold_days))
    table = MatchingProjections(
        a.openings, a.seats, a.profiles, a.pending, a.tried, a.outcomes, a.models, policy, a.waiting, a.choices
    ).table()
    live = LiveEngine(a.openings, a.prices, a.models, own_model or prior_model(), lambda: paris_date(clock()))
    # The log first, then matching's own projection of the event (the one the rebuild replays).
    proposals = ProjectingPublisher(outlet(TOPOLOGY.published(MATCHING_PROPOSAL)), table, clock)
    model_log = ProjectingPublisher(outlet(TOPOLOGY.published(MATCHING_MODEL)), table, clock)
    feedback = Feedback(
        a.seats, a.profiles, a.tried, a.outcomes, a.models, live, proposals, model_log, clock, policy,
        history, failed,
    )  # fmt: skip
    windows = WindowCloser(live, a.seats, a.profiles, a.tried, a.pending, a.window_decisions, proposals, clock, policy)
    demand = StandingDemand(live, a.waiting, a.profiles, a.tried, a.seats, proposals, clock, policy)
    dependencies = {
        "live": live, "seats": a.seats, "proposals": proposals, "clock": clock, "policy": policy,
        "feedback": feedback, "windows": windows, "demand": demand, "waiting": a.waiting,
        "choices": a.choices,
    }  # fmt: skip
    routes = TOPOLOGY.routes(table, clock, inject_all(EVENT_HANDLERS, dependencies))

    async def rebuild() -> dict[str, int]:
        return await rebuild_from_log(event_log, table, settings.max_event_bytes)

    bus = matching_commands(live, a.pending, a.lease, clock, settings.reoptimise_max_profiles, demand)
    return Matching(adapters, table, routes, live, feedback, windows, policy, demand, bus, rebuild)


def start_up_history(settings: MatchingSettings) -> tuple[list[OutcomeRecord], SuccessModel]:
    """The history file's records (learned from again, with the outcomes, at each retraining) and the
    model this instance scores with until a trained version is published: learned from the file when it
    is large enough, the prior otherwise."""
    if settings.success_history_path is None:
        return [], prior_model()
    records: list[OutcomeRecord] = list(read_jsonl(settings.success_history_path, OutcomeRecord))  # type: ignore[arg-type]
    report = learn_from(records)
    log.info("success model", extra={"records": report.records, "model": report.note})
    return records, report.model
