"""Matching, wired: the real adapters built once and injected into the projections, the consumed topics'
table and the use cases. `create_app` (main.py) adds the broker's lifecycle and the HTTP routes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.matching.adapters.batch_state import PendingProfiles, SeatPrices, WindowDecisionBook
from services.matching.adapters.model_store import ModelStore
from services.matching.adapters.newcomers import ProfileBook, TriedOpenings
from services.matching.adapters.openings_view import OpeningsView
from services.matching.adapters.outcome_log import OutcomeLog
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.config import MatchingSettings
from services.matching.domain.success_model import SuccessModel, prior_model
from services.matching.entrypoints.consumers import MatchingDependencies, matching_routes
from services.matching.service_layer.decision_window import WindowCloser
from services.matching.service_layer.history import OutcomeRecord, learn_from, read_jsonl
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.projections import MatchingProjections
from services.matching.service_layer.propose import Clock, ProposalPolicy
from services.matching.service_layer.referral_feedback import Feedback
from shared.contract.events import MatchingProposal, SuccessModelTrained
from shared.contract.events.envelope import Event
from shared.contract.paris_time import paris_date
from shared.contract.topics import MATCHING_MODEL, MATCHING_PROPOSAL, TopicSpec
from shared.messaging.consuming import Route
from shared.messaging.projections import KafkaEventLog, ProjectingPublisher, ProjectionTable, rebuild_from_log
from shared.messaging.publishing import EventPublisher
from shared.observability.metering import Meter

SERVICE = "matching"
SOURCE = f"/passerelle/{SERVICE}"
log = logging.getLogger(__name__)


@dataclass
class Matching:
    table: ProjectionTable
    routes: list[Route]
    live: LiveEngine
    seats: SeatLedger
    openings: OpeningsView
    pending: PendingProfiles
    rebuild: Callable[[], Awaitable[dict[str, int]]]


def bootstrap(settings: MatchingSettings, broker: KafkaBroker, redis: Redis, meter: Meter, clock: Clock) -> Matching:
    openings, prices, pending = OpeningsView(redis), SeatPrices(redis), PendingProfiles(redis)
    seats, profiles, models = SeatLedger(redis), ProfileBook(redis), ModelStore(redis)
    tried, outcomes = TriedOpenings(redis), OutcomeLog(redis)
    policy = ProposalPolicy(max_ranked=settings.max_ranked, hold_for=timedelta(days=settings.seat_hold_days))
    table = MatchingProjections(openings, seats, profiles, pending, tried, outcomes, models, policy).table()
    history, own_model = start_up_history(settings)
    live = LiveEngine(openings, prices, models, own_model, lambda: paris_date(clock()))

    def publisher(spec: TopicSpec, model: type[Event], description: str) -> ProjectingPublisher:
        """The log first, then matching's own projection of the event (the one the rebuild replays)."""
        return ProjectingPublisher(EventPublisher(broker, spec, model, SOURCE, description, meter=meter), table, clock)

    proposals = publisher(
        MATCHING_PROPOSAL, MatchingProposal, "Ranked, explained proposals for one beneficiary, with the seat held"
    )
    model_log = publisher(
        MATCHING_MODEL, SuccessModelTrained, "A new version of the success model, with what it was trained on"
    )
    feedback = Feedback(
        seats, profiles, tried, outcomes, models, live, proposals, model_log, clock, policy, history, meter.failed
    )
    windows = WindowCloser(live, seats, profiles, tried, pending, WindowDecisionBook(redis), proposals, clock, policy)
    routes = matching_routes(MatchingDependencies(table, seats, live, feedback, proposals, clock, policy, windows))
    event_log = KafkaEventLog(settings.kafka_bootstrap_servers)

    async def rebuild() -> dict[str, int]:
        return await rebuild_from_log(event_log, table, settings.max_event_bytes)

    return Matching(table, routes, live, seats, openings, pending, rebuild)


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
