"""Composition root of the matching service: the broker, Redis, the wired service and its ASGI routes."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.types import Scope
from prometheus_client import CONTENT_TYPE_LATEST

from services.matching.adapters.batch_state import Lease
from services.matching.bootstrap import SERVICE, bootstrap, redis_adapters, start_up_history
from services.matching.config import MatchingSettings
from services.matching.service_layer.live_engine import reoptimise
from services.matching.service_layer.propose import Clock
from services.matching.topology import TOPOLOGY
from shared.contract.topics import FIXED_TOPICS
from shared.messaging.asyncapi import asyncapi_document
from shared.messaging.consuming import subscribe_all
from shared.messaging.dead_letters import DeadLetters
from shared.messaging.kafka_admin import ensure_topics
from shared.messaging.kafka_broker import make_broker
from shared.messaging.projections import KafkaEventLog
from shared.messaging.state_guard import StateGuard
from shared.messaging.topology import broker_outlet
from shared.observability import telemetry
from shared.observability.metering import Meter
from shared.ops.reporter import OpsReporter
from shared.redis_factory import make_redis

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _json(body: dict[str, Any], status: int) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status, headers={"content-type": "application/json"})


def create_app(settings: MatchingSettings, clock: Clock = utc_now) -> AsgiFastStream:
    meter = Meter(SERVICE, settings.instance_id)
    traces = telemetry.tracer_provider(SERVICE, settings.instance_id)
    broker = make_broker(settings, SERVICE, telemetry.broker_middlewares(SERVICE, traces, meter.registry))
    redis = make_redis(settings.redis_url)
    history, own_model = start_up_history(settings)
    matching = bootstrap(
        settings, redis_adapters(redis), broker_outlet(broker, TOPOLOGY, meter),
        KafkaEventLog(settings.kafka_bootstrap_servers), clock, meter.failed, history, own_model,
    )  # fmt: skip
    guard = StateGuard(redis, SERVICE, matching.rebuild, check_interval_s=settings.state_check_interval_s)
    tracer = traces.get_tracer(SERVICE)
    subscribe_all(broker, settings, matching.routes, DeadLetters(broker, SERVICE, meter), guard, tracer)
    reporter = OpsReporter(broker, meter, settings.heartbeat_interval_s, consumes=TOPOLOGY.groups())
    lease = Lease(redis, "matching:reoptimise-lease", settings.instance_id)

    @get(include_in_schema=False)
    async def health(scope: Scope) -> AsgiResponse:
        """Ready when the broker answers; reports how many openings matching knows and the model it scores
        with (version 0: this instance's own, the prior or what it learned from its start-up history)."""
        ok = await broker.ping(timeout=2.0)
        model = await matching.live.model()
        known = await matching.adapters.openings.count()
        body = {
            "service": SERVICE, "status": "ok" if ok else "down", "openings_known": known,
            "model": {"version": model.version, "family": model.family, "columns": len(model.columns)},
        }  # fmt: skip
        return _json(body, 200 if ok else 503)

    @get(include_in_schema=False)
    async def seats(scope: Scope) -> AsgiResponse:
        """Capacity and seats left of one opening, as matching sees them: `/seats?opening_id=…`."""
        opening_id = (parse_qs(scope.get("query_string", b"").decode()).get("opening_id") or [""])[0]
        if not opening_id:
            return _json({"detail": "query parameter opening_id is required"}, 422)
        capacity, available = (
            await matching.adapters.seats.capacity(opening_id),
            await matching.adapters.seats.available(opening_id, clock()),
        )
        return _json({"opening_id": opening_id, "capacity": capacity, "available": available}, 200)

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:
        """Prometheus metrics."""
        return AsgiResponse(meter.prometheus(), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    @get(include_in_schema=False)
    async def asyncapi(scope: Scope) -> AsgiResponse:
        """This service's AsyncAPI document, generated from the code."""
        return _json(asyncapi_document(SERVICE, broker), 200)

    async def reoptimise_forever() -> None:
        interval = settings.reoptimise_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                if await guard.intact() and await lease.acquire(int(interval * 1000 * 0.9)):
                    await reoptimise(matching.live, matching.adapters.pending, clock, settings.reoptimise_max_profiles)
            except Exception:
                log.exception("re-optimisation failed; the previous seat prices stay")

    async def create_topics_and_state() -> None:
        if settings.kafka_manage_topics:
            await ensure_topics(settings.kafka_bootstrap_servers, FIXED_TOPICS, settings.kafka_replication_factor)
        await guard.ensure()  # a fresh or emptied Redis is rebuilt from the log before consuming

    background: list[asyncio.Task[None]] = []

    async def start_background() -> None:
        for forever in (reoptimise_forever(), reporter.run_forever(), guard.watch_forever()):
            background.append(asyncio.create_task(forever))

    async def stop_background() -> None:
        for task in background:
            task.cancel()

    async def close_redis() -> None:
        await redis.aclose()
        traces.shutdown()  # exports the spans still buffered

    return AsgiFastStream(
        broker,
        asgi_routes=[("/health", health), ("/seats", seats), ("/asyncapi.json", asyncapi), ("/metrics", metrics)],
        on_startup=[create_topics_and_state],
        after_startup=[start_background],
        on_shutdown=[stop_background],
        after_shutdown=[close_redis],
    )
