"""Composition root of the notifications service: the broker, Redis, the wired service, the webhook sender
and its HTTP API."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.notifications.adapters.webhook_sender import Clock, RetryPolicy, send_due
from services.notifications.bootstrap import SERVICE, bootstrap, credentials_copy, production_adapters
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints import deliveries_api
from services.notifications.topology import TOPOLOGY
from shared.contract.topics import FIXED_TOPICS
from shared.http.auth import key_holder
from shared.http.bus_errors import add_bus_error_answers
from shared.http.ops_routes import add_ops_routes
from shared.http.request_limits import add_request_limits
from shared.http.security_headers import SecurityHeaders
from shared.http.state_gate import add_state_gate
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


def create_app(settings: NotificationsSettings, clock: Clock = utc_now) -> FastAPI:
    meter = Meter(SERVICE, settings.instance_id)
    traces = telemetry.tracer_provider(SERVICE, settings.instance_id)
    broker = make_broker(settings, SERVICE, telemetry.broker_middlewares(SERVICE, traces, meter.registry))
    redis, cache = make_redis(settings.redis_url), make_redis(settings.cache_url())
    reporter = OpsReporter(broker, meter, settings.heartbeat_interval_s, consumes=TOPOLOGY.groups())
    dead_letters = DeadLetters(broker, SERVICE, meter)
    credentials = credentials_copy(redis, clock)
    adapters = production_adapters(settings, redis, credentials)
    event_log = KafkaEventLog(settings.kafka_bootstrap_servers)
    notifications = bootstrap(settings, adapters, broker_outlet(broker, TOPOLOGY, meter), event_log, clock)
    outbox = adapters.outbox
    guard = StateGuard(redis, SERVICE, notifications.rebuild, check_interval_s=settings.state_check_interval_s)
    subscribe_all(broker, settings, notifications.routes, dead_letters, guard, traces.get_tracer(SERVICE))
    policy = RetryPolicy(
        base_s=settings.webhook_backoff_base_s,
        max_delay_s=settings.webhook_max_delay_s,
        window_s=settings.webhook_retry_window_s,
        timeout_s=settings.webhook_timeout_s,
    )

    targets = settings.webhook_target_policy()

    async def send_webhooks_forever(client: httpx.AsyncClient) -> None:
        while True:
            try:
                await send_due(outbox, client, clock, policy, dead_letters, targets)
            except Exception:
                log.exception("webhook sending failed; it will run again")
            await asyncio.sleep(settings.webhook_poll_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.kafka_manage_topics:
            await ensure_topics(settings.kafka_bootstrap_servers, FIXED_TOPICS, settings.kafka_replication_factor)
        await guard.ensure()  # a fresh or emptied Redis is rebuilt from the log before consuming
        await broker.start()
        async with httpx.AsyncClient(follow_redirects=False) as client:
            sender = asyncio.create_task(send_webhooks_forever(client))
            reporting = asyncio.create_task(reporter.run_forever())
            watching = asyncio.create_task(guard.watch_forever())
            try:
                yield
            finally:
                sender.cancel()
                reporting.cancel()
                watching.cancel()
                await broker.stop()
                await redis.aclose()
                await cache.aclose()
                traces.shutdown()  # exports the spans still buffered

    app = FastAPI(title="Passerelle notifications", version="0.1.0", lifespan=lifespan)
    app.state.credentials = credentials
    app.state.broker = broker
    telemetry.instrument_http(app, traces)
    add_state_gate(app, guard)
    app.state.admin_token = secrets.token_urlsafe(48)  # nothing here is for the administrator
    identify = key_holder(app.state.admin_token, credentials)
    add_request_limits(app, settings, cache, SERVICE, identify)
    add_bus_error_answers(app)
    app.state.outbox = outbox
    app.state.subscriptions = adapters.subscriptions
    app.state.clock = clock
    app.include_router(deliveries_api.router)

    add_ops_routes(app, SERVICE, broker, meter)

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        """Ready when the broker and Redis answer."""
        ok = await broker.ping(timeout=2.0) and bool(await redis.ping())
        return JSONResponse({"service": SERVICE, "status": "ok" if ok else "down"}, status_code=200 if ok else 503)

    app.add_middleware(SecurityHeaders, hsts=settings.environment == "production")  # outermost: on every answer
    return app
