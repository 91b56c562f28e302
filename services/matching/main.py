"""Composition root of the matching service: builds the real adapters and the ASGI app."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.types import Scope
from prometheus_client import CONTENT_TYPE_LATEST

from services.matching.adapters.batch_state import Lease, PendingProfiles, SeatPrices
from services.matching.adapters.model_store import ModelStore
from services.matching.adapters.newcomers import ProfileBook, TriedOpenings
from services.matching.adapters.openings_view import OpeningsView
from services.matching.adapters.outcome_log import OutcomeLog
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.config import MatchingSettings
from services.matching.domain.success_model import SuccessModel, prior_model
from services.matching.entrypoints.consumers import MatchingDependencies, register_consumers
from services.matching.service_layer.history import OutcomeRecord, learn_from, read_jsonl
from services.matching.service_layer.live_engine import LiveEngine, reoptimise
from services.matching.service_layer.projections import MatchingProjections
from services.matching.service_layer.propose import Clock, ProposalPolicy
from services.matching.service_layer.referral_feedback import Feedback
from shared.asyncapi import asyncapi_document
from shared.dead_letters import DeadLetters
from shared.events import MatchingProposal, SuccessModelTrained
from shared.events.envelope import Event
from shared.kafka_admin import ensure_topics
from shared.kafka_broker import make_broker
from shared.metering import Meter
from shared.ops_reporter import OpsReporter
from shared.projections import KafkaEventLog, ProjectingPublisher, rebuild_from_log
from shared.publishing import EventPublisher
from shared.redis_factory import make_redis
from shared.state_guard import StateGuard
from shared.topics import FIXED_TOPICS, MATCHING_MODEL, MATCHING_PROPOSAL, TopicSpec

SERVICE = "matching"
SOURCE = f"/passerelle/{SERVICE}"
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _json(body: dict[str, Any], status: int) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status, headers={"content-type": "application/json"})


def create_app(settings: MatchingSettings, clock: Clock = utc_now) -> AsgiFastStream:
    broker = make_broker(settings, SERVICE)
    redis = make_redis(settings.redis_url)
    meter = Meter(SERVICE, settings.instance_id)
    reporter = OpsReporter(broker, meter, settings.heartbeat_interval_s)
    openings, prices, pending = OpeningsView(redis), SeatPrices(redis), PendingProfiles(redis)
    ledger, profiles, models = SeatLedger(redis), ProfileBook(redis), ModelStore(redis)
    tried, outcomes = TriedOpenings(redis), OutcomeLog(redis)
    policy = ProposalPolicy(max_ranked=settings.max_ranked, hold_for=timedelta(days=settings.seat_hold_days))
    table = MatchingProjections(openings, ledger, profiles, pending, tried, outcomes, models, policy).table()
    history, own_model = start_up_history(settings)
    live = LiveEngine(openings, prices, models, own_model)

    def publisher(spec: TopicSpec, model: type[Event], description: str) -> ProjectingPublisher:
        """The log first, then matching's own projection of the event (the one the rebuild replays)."""
        return ProjectingPublisher(EventPublisher(broker, spec, model, SOURCE, description, meter=meter), table, clock)

    proposals = publisher(
        MATCHING_PROPOSAL, MatchingProposal, "Ranked, explained proposals for one beneficiary, with the seat held"
    )
    model_log = publisher(
        MATCHING_MODEL, SuccessModelTrained, "A new version of the success model, with what it was trained on"
    )
    feedback = Feedback(ledger, profiles, tried, outcomes, models, live, proposals, model_log, clock, policy, history)
    deps = MatchingDependencies(
        table, ledger, live, feedback, proposals, DeadLetters(broker, SERVICE, meter), clock, policy
    )
    event_log = KafkaEventLog(settings.kafka_bootstrap_servers)
    guard = StateGuard(
        redis,
        SERVICE,
        lambda: rebuild_from_log(event_log, table, settings.max_event_bytes),
        check_interval_s=settings.state_check_interval_s,
    )
    register_consumers(broker, settings, deps, guard)

    @get(include_in_schema=False)
    async def health(scope: Scope) -> AsgiResponse:
        """Ready when the broker answers; reports how many openings matching knows."""
        ok = await broker.ping(timeout=2.0)
        body = {"service": SERVICE, "status": "ok" if ok else "down", "openings_known": await openings.count()}
        return AsgiResponse(json.dumps(body).encode(), 200 if ok else 503, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def seats(scope: Scope) -> AsgiResponse:
        """Capacity and seats left of one opening, as matching sees them: `/seats?opening_id=…`."""
        query = parse_qs(scope.get("query_string", b"").decode())
        opening_id = (query.get("opening_id") or [""])[0]
        if not opening_id:
            return _json({"detail": "query parameter opening_id is required"}, 422)
        body = {
            "opening_id": opening_id,
            "capacity": await ledger.capacity(opening_id),
            "available": await ledger.available(opening_id, clock()),
        }
        return _json(body, 200)

    async def create_topics_and_state() -> None:
        if settings.kafka_manage_topics:
            await ensure_topics(settings.kafka_bootstrap_servers, FIXED_TOPICS, settings.kafka_replication_factor)
        await guard.ensure()  # a fresh or emptied Redis is rebuilt from the log before consuming

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:
        """Prometheus metrics."""
        return AsgiResponse(meter.prometheus(), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    @get(include_in_schema=False)
    async def asyncapi(scope: Scope) -> AsgiResponse:
        """This service's AsyncAPI document, generated from the code."""
        return _json(asyncapi_document(SERVICE, broker), 200)

    lease = Lease(redis, "matching:reoptimise-lease", settings.instance_id)
    background: list[asyncio.Task[None]] = []

    async def reoptimise_forever() -> None:
        interval = settings.reoptimise_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                if await guard.intact() and await lease.acquire(int(interval * 1000 * 0.9)):
                    await reoptimise(live, pending, clock)
            except Exception:
                log.exception("re-optimisation failed; the previous seat prices stay")

    async def start_background() -> None:
        background.append(asyncio.create_task(reoptimise_forever()))
        background.append(asyncio.create_task(reporter.run_forever()))
        background.append(asyncio.create_task(guard.watch_forever()))

    async def stop_background() -> None:
        for task in background:
            task.cancel()

    async def close_redis() -> None:
        await redis.aclose()

    return AsgiFastStream(
        broker,
        asgi_routes=[("/health", health), ("/seats", seats), ("/asyncapi.json", asyncapi), ("/metrics", metrics)],
        on_startup=[create_topics_and_state],
        after_startup=[start_background],
        on_shutdown=[stop_background],
        after_shutdown=[close_redis],
    )


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
