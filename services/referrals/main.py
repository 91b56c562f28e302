"""Composition root of the referrals service: the broker, Redis, the wired service, its background work,
the HTTP API and the console."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.referrals.adapters.clock import ServiceClock
from services.referrals.bootstrap import (
    SERVICE,
    bootstrap,
    console_parts,
    credential_journal,
    partner_mail,
    redis_adapters,
    referral_links,
)
from services.referrals.config import ReferralsSettings
from services.referrals.console.occupations import OccupationReferential
from services.referrals.console.oidc_pages import configure as oidc_configure
from services.referrals.console.web import add_console
from services.referrals.entrypoints import (
    admin_api,
    consent_api,
    directory_api,
    openings_api,
    ops_api,
    referrals_api,
    signing_batches_api,
    signings_api,
    subscriptions_api,
)
from services.referrals.entrypoints.clock_api import add_test_clock
from services.referrals.entrypoints.domain_errors import add_domain_error_answers
from services.referrals.service_layer.commands import CloseDecisionWindows, SweepDeadlines, SweepRetention
from services.referrals.service_layer.handlers import Clock
from services.referrals.topology import TOPOLOGY
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
from shared.ops.history import LagSampler
from shared.ops.picture import OpsPicture
from shared.ops.reporter import OpsReporter
from shared.redis_factory import make_redis

log = logging.getLogger(__name__)
ROUTERS = (
    ops_api,
    admin_api,
    signings_api,
    signing_batches_api,
    consent_api,
    openings_api,
    directory_api,
    referrals_api,
    subscriptions_api,
)


def create_app(settings: ReferralsSettings, clock: Clock | None = None) -> FastAPI:
    meter, service_clock = Meter(SERVICE, settings.instance_id), ServiceClock()
    traces = telemetry.tracer_provider(SERVICE, settings.instance_id)
    broker = make_broker(settings, SERVICE, telemetry.broker_middlewares(SERVICE, traces, meter.registry))
    redis, cache = make_redis(settings.redis_url), make_redis(settings.cache_url())
    now: Clock = clock or service_clock
    outlet = broker_outlet(broker, TOPOLOGY, meter)
    journal = credential_journal(outlet)
    adapters = redis_adapters(redis, journal, now)
    links = referral_links(settings, adapters.credentials)
    referrals = bootstrap(
        settings, adapters, outlet, KafkaEventLog(settings.kafka_bootstrap_servers), now,
        partner_mail(settings, redis, adapters.credentials, links, now),
    )  # fmt: skip
    context, mail = referrals.context, referrals.mail
    console = console_parts(settings, redis, cache, journal, context.publishers.audit, links, now)
    guard = StateGuard(redis, SERVICE, referrals.rebuild, check_interval_s=settings.state_check_interval_s)
    tracer = traces.get_tracer(SERVICE)
    subscribe_all(broker, settings, referrals.routes, DeadLetters(broker, SERVICE, meter), guard, tracer)
    reporter = OpsReporter(
        broker, meter, settings.heartbeat_interval_s, consumes=TOPOLOGY.groups()
    )  # declares its publishers now
    ops_picture = OpsPicture()
    lag_sampler = LagSampler(
        settings.kafka_bootstrap_servers, lambda: ops_picture.groups, settings.lag_sample_interval_s
    )

    async def sweep_deadlines_forever() -> None:
        while True:
            await asyncio.sleep(settings.deadline_sweep_interval_s)
            try:
                if not await guard.intact():
                    continue  # the rebuild comes first
                await context.bus.handle(CloseDecisionWindows(now()))
                await context.bus.handle(SweepDeadlines(now()))
                await mail.retry_failed()
            except Exception:
                log.exception("deadline sweep failed; it will run again")

    async def sweep_retention_forever() -> None:
        while True:
            await asyncio.sleep(settings.retention_sweep_interval_s)
            try:
                if await guard.intact():
                    await context.bus.handle(SweepRetention(now()))
            except Exception:
                log.exception("retention sweep failed; it will run again")

    def background() -> list[Coroutine[Any, Any, None]]:
        return [
            sweep_deadlines_forever(),
            sweep_retention_forever(),
            reporter.run_forever(),
            guard.watch_forever(),
            lag_sampler.run_forever(),
            ops_picture.follow(settings.kafka_bootstrap_servers),
        ]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.kafka_manage_topics:
            await ensure_topics(settings.kafka_bootstrap_servers, FIXED_TOPICS, settings.kafka_replication_factor)
        await guard.ensure()  # a fresh or emptied Redis is rebuilt from the log before anything is served
        await broker.start()
        tasks = [asyncio.create_task(forever) for forever in background()]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await broker.stop()
            await redis.aclose()
            await cache.aclose()
            traces.shutdown()  # exports the spans still buffered

    app = FastAPI(
        title="Passerelle referrals",
        version="0.1.0",
        summary="CIR signings, openings and referrals: the front door and system of record",
        lifespan=lifespan,
        docs_url=None,  # served by the console from the service's own files (no CDN)
    )
    app.state.context, app.state.broker, app.state.credentials = context, broker, context.credentials
    app.state.sign_in, app.state.account_administration = console.sign_in, console.administration
    app.state.admin_token = settings.admin_secret()
    app.state.max_batch_lines = settings.max_batch_lines
    app.state.kafka_bootstrap_servers = settings.kafka_bootstrap_servers
    app.state.links, app.state.lag_sampler, app.state.ops_picture = console.links, lag_sampler, ops_picture
    telemetry.instrument_http(app, traces)
    add_state_gate(app, guard)
    identify = key_holder(settings.admin_secret(), context.credentials)
    add_request_limits(app, settings, cache, SERVICE, identify)
    add_bus_error_answers(app)
    add_domain_error_answers(app)
    oidc = None
    if settings.oidc_issuer_url:
        client_secret = settings.oidc_client_secret.get_secret_value()
        oidc = oidc_configure(settings.oidc_issuer_url, settings.oidc_client_id, client_secret)
    add_console(
        app, console.accounts, OccupationReferential.load(settings.rome_referential_path), console.sessions,
        settings.session_key(), settings.cookies_secure(), settings.assets_dir, oidc,
        settings.oidc_label,
    )  # fmt: skip
    for module in ROUTERS:
        app.include_router(module.router)
    if settings.test_clock:
        add_test_clock(app, service_clock, context.bus)
    add_ops_routes(app, SERVICE, broker, meter)

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        """Ready when both the broker and Redis answer."""
        broker_ok = await broker.ping(timeout=2.0)
        redis_ok = await context.store.ping()
        ok = broker_ok and redis_ok
        return JSONResponse(
            {"service": SERVICE, "status": "ok" if ok else "down", "kafka": broker_ok, "redis": redis_ok},
            status_code=200 if ok else 503,
        )

    app.add_middleware(SecurityHeaders, hsts=settings.strict_transport_security())  # outermost: on every answer
    return app
