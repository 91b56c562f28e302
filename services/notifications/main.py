"""Composition root of the notifications service: its consumers, the webhook sender and its HTTP API."""

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

from services.notifications.adapters.delivery_log import DeliveryLog
from services.notifications.adapters.partner_topics import PartnerTopics
from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.adapters.webhook_outbox import WebhookOutbox
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints import deliveries_api
from services.notifications.entrypoints.consumers import NotificationsDependencies, register_consumers
from services.notifications.service_layer.projections import AUTH_PREFIX, NotificationsProjections
from services.notifications.service_layer.webhook_sender import Clock, RetryPolicy, send_due
from shared.access import Credentials
from shared.dead_letters import DeadLetters
from shared.events import PartnerCandidateEntry
from shared.http_bus_errors import add_bus_error_answers
from shared.http_ops_routes import add_ops_routes
from shared.http_request_limits import add_request_limits
from shared.http_state_gate import add_state_gate
from shared.http_tracing import add_tracing
from shared.kafka_admin import ensure_topics
from shared.kafka_broker import make_broker
from shared.metering import Meter
from shared.ops_reporter import OpsReporter
from shared.projections import KafkaEventLog, ProjectingPublisher, rebuild_from_log
from shared.publishing import EventPublisher
from shared.redis_factory import make_redis
from shared.state_guard import StateGuard
from shared.topics import FIXED_TOPICS, TopicSpec

SERVICE = "notifications"
PARTNER_TOPIC_PATTERN = TopicSpec("partner.{partner_id}.candidates.v1", 3, "referral id")
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: NotificationsSettings, clock: Clock = utc_now) -> FastAPI:
    broker = make_broker(settings, SERVICE)
    redis = make_redis(settings.redis_url)
    meter = Meter(SERVICE, settings.instance_id)
    reporter = OpsReporter(broker, meter, settings.heartbeat_interval_s)
    dead_letters = DeadLetters(broker, SERVICE, meter)
    outbox, subscriptions, deliveries = WebhookOutbox(redis), SubscriptionsView(redis), DeliveryLog(redis)
    credentials = Credentials(redis, clock=clock, prefix=AUTH_PREFIX, owner=SERVICE)
    table = NotificationsProjections(subscriptions, deliveries, credentials).table()
    entries = EventPublisher(
        broker,
        PARTNER_TOPIC_PATTERN,
        PartnerCandidateEntry,
        f"/passerelle/{SERVICE}",
        "A new candidate in the partner's pool: minimised, pseudonymous",
        meter=meter,
    )
    deps = NotificationsDependencies(
        table=table,
        topics=PartnerTopics(
            settings.kafka_bootstrap_servers, settings.kafka_replication_factor, settings.kafka_manage_topics
        ),
        deliveries=deliveries,
        entries=ProjectingPublisher(entries, table, clock),
        dead_letters=dead_letters,
        subscriptions=subscriptions,
        outbox=outbox,
        clock=clock,
    )
    event_log = KafkaEventLog(settings.kafka_bootstrap_servers)
    guard = StateGuard(
        redis,
        SERVICE,
        lambda: rebuild_from_log(event_log, table, settings.max_event_bytes),
        check_interval_s=settings.state_check_interval_s,
    )
    register_consumers(broker, settings, deps, guard)
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

    app = FastAPI(title="Passerelle notifications", version="0.1.0", lifespan=lifespan)
    app.state.credentials = credentials
    app.state.broker = broker
    add_tracing(app)
    add_state_gate(app, guard)
    add_request_limits(app, settings.max_request_bytes, redis, SERVICE)
    add_bus_error_answers(app)
    app.state.admin_token = secrets.token_urlsafe(48)  # nothing here is for the administrator
    app.state.outbox = outbox
    app.state.subscriptions = subscriptions
    app.state.clock = clock
    app.include_router(deliveries_api.router)

    add_ops_routes(app, SERVICE, broker, meter)

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        """Ready when the broker and Redis answer."""
        ok = await broker.ping(timeout=2.0) and bool(await redis.ping())
        return JSONResponse({"service": SERVICE, "status": "ok" if ok else "down"}, status_code=200 if ok else 503)

    return app
