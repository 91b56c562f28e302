"""Composition root of the referrals service: the broker, Redis, the wired service, its background work,
the HTTP API and the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
from services.referrals.service_layer.commands import (
    CloseDecisionWindows,
    RetryPartnerMail,
    SweepDeadlines,
    SweepRetention,
)
from services.referrals.service_layer.handlers import Clock
from services.referrals.topology import TOPOLOGY
from shared.http.auth import key_holder
from shared.http.bus_errors import add_bus_error_answers
from shared.http.ops_routes import add_ops_routes
from shared.http.request_limits import add_request_limits
from shared.http.security_headers import SecurityHeaders
from shared.http.state_gate import add_state_gate
from shared.observability import telemetry
from shared.ops.history import LagSampler
from shared.ops.picture import OpsPicture
from shared.service_runtime import ServiceRuntime

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
    runtime, service_clock = ServiceRuntime.start(settings, TOPOLOGY), ServiceClock()
    broker, redis, cache = runtime.broker, runtime.redis, runtime.cache
    now: Clock = clock or service_clock
    journal = credential_journal(runtime.outlet)
    adapters = redis_adapters(redis, journal, now)
    links = referral_links(settings, adapters.credentials)
    referrals = bootstrap(
        settings, adapters, runtime.outlet, runtime.event_log, now,
        partner_mail(settings, redis, adapters.credentials, links, now),
    )  # fmt: skip
    context = referrals.context
    console = console_parts(settings, redis, cache, journal, context.publishers.audit, links, now)
    guard = runtime.consume(referrals.routes, referrals.rebuild)
    runtime.every(
        settings.deadline_sweep_interval_s, context.bus,
        lambda: CloseDecisionWindows(now()), lambda: SweepDeadlines(now()), RetryPartnerMail,
    )  # fmt: skip
    runtime.every(settings.retention_sweep_interval_s, context.bus, lambda: SweepRetention(now()))
    ops_picture = OpsPicture()
    lag_sampler = LagSampler(
        settings.kafka_bootstrap_servers, lambda: ops_picture.groups, settings.lag_sample_interval_s
    )
    runtime.alongside(lag_sampler.run_forever, lambda: ops_picture.follow(settings.kafka_bootstrap_servers))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():  # a fresh or emptied Redis is rebuilt from the log before anything is served
            yield

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
    telemetry.instrument_http(app, runtime.traces)
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
    add_ops_routes(app, SERVICE, broker, runtime.meter)

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
