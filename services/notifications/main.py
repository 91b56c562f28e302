"""Notifications' application: the runtime every service starts from, notifications wired by its
bootstrap, the webhook sender on its schedule (a command), and its HTTP API."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.notifications.adapters.webhook_sender import RetryPolicy, WebhookSender
from services.notifications.bootstrap import SERVICE, bootstrap, credentials_copy, production_adapters
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints import deliveries_api
from services.notifications.service_layer.commands import SendDueWebhooks
from services.notifications.service_layer.deliver import Clock
from services.notifications.topology import TOPOLOGY
from shared.http.auth import key_holder
from shared.http.bus_errors import add_bus_error_answers
from shared.http.ops_routes import add_ops_routes
from shared.http.request_limits import add_request_limits
from shared.http.security_headers import SecurityHeaders
from shared.http.state_gate import add_state_gate
from shared.observability import telemetry
from shared.service_runtime import ServiceRuntime


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: NotificationsSettings, clock: Clock = utc_now) -> FastAPI:
    runtime = ServiceRuntime.start(settings, TOPOLOGY)
    broker, redis = runtime.broker, runtime.redis
    credentials = credentials_copy(redis, clock)
    adapters = production_adapters(settings, redis, credentials)
    policy = RetryPolicy(
        base_s=settings.webhook_backoff_base_s,
        max_delay_s=settings.webhook_max_delay_s,
        window_s=settings.webhook_retry_window_s,
        timeout_s=settings.webhook_timeout_s,
    )
    client = httpx.AsyncClient(follow_redirects=False)  # closed when the service stops
    webhooks = WebhookSender(
        adapters.outbox, client, clock, policy, runtime.dead_letters, settings.webhook_target_policy()
    )
    notifications = bootstrap(settings, adapters, runtime.outlet, runtime.event_log, clock, webhooks)
    guard = runtime.consume(notifications.routes, notifications.rebuild)
    runtime.every(settings.webhook_poll_interval_s, notifications.bus, SendDueWebhooks)

    runtime.on_close(client.aclose)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            yield

    app = FastAPI(title="Passerelle notifications", version="0.1.0", lifespan=lifespan)
    app.state.credentials = credentials
    app.state.broker = broker
    telemetry.instrument_http(app, runtime.traces)
    add_state_gate(app, guard)
    app.state.admin_token = secrets.token_urlsafe(48)  # nothing here is for the administrator
    identify = key_holder(app.state.admin_token, credentials)
    add_request_limits(app, settings, runtime.cache, SERVICE, identify)
    add_bus_error_answers(app)
    app.state.outbox = adapters.outbox
    app.state.subscriptions = adapters.subscriptions
    app.state.bus = notifications.bus
    app.state.clock = clock
    app.include_router(deliveries_api.router)

    add_ops_routes(app, SERVICE, broker, runtime.meter)

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        """Ready when the broker and Redis answer."""
        ok = await broker.ping(timeout=2.0) and bool(await redis.ping())
        return JSONResponse({"service": SERVICE, "status": "ok" if ok else "down"}, status_code=200 if ok else 503)

    app.add_middleware(SecurityHeaders, hsts=settings.environment == "production")  # outermost: on every answer
    return app
