"""Composition root of the referrals service: the FastAPI app with its broker and Redis."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse

from services.referrals.adapters.accounts import Accounts
from services.referrals.adapters.clock import ServiceClock
from services.referrals.adapters.locks import ReferralLocks
from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.adapters.review_flags import ReviewFlags
from services.referrals.adapters.store import ReferralStore
from services.referrals.adapters.subscriptions import Subscriptions
from services.referrals.config import ReferralsSettings
from services.referrals.console.links import ReferralLinks
from services.referrals.console.occupations import OccupationReferential
from services.referrals.console.oidc_pages import configure as oidc_configure
from services.referrals.console.web import add_console
from services.referrals.domain.errors import Conflict, InvalidFields, NotFound
from services.referrals.domain.lifecycle import IllegalTransition
from services.referrals.domain.records import SigningRecorded
from services.referrals.domain.signing import SigningDateRules
from services.referrals.entrypoints import (
    admin_api,
    directory_api,
    openings_api,
    ops_api,
    referrals_api,
    signings_api,
    subscriptions_api,
)
from services.referrals.entrypoints.consumers import register_consumers
from services.referrals.entrypoints.dependencies import ReferralsContext
from services.referrals.service_layer.handlers import Clock, Publishers
from services.referrals.service_layer.lifecycle_handlers import Lifecycle
from services.referrals.service_layer.partner_mail import PartnerMail, SmtpRelay
from services.referrals.service_layer.projections import ReferralsProjections
from shared.access import CredentialChange, Credentials
from shared.dead_letters import DeadLetters
from shared.events import AuditRecord, BeneficiaryProfile, PartnerSubscription, ProgrammeOpening, ReferralEvent
from shared.events.envelope import Event
from shared.http_auth import AdminDep
from shared.http_bus_errors import add_bus_error_answers
from shared.http_ops_routes import add_ops_routes
from shared.http_request_limits import add_request_limits
from shared.http_state_gate import add_state_gate
from shared.http_tracing import add_tracing
from shared.kafka_admin import ensure_topics
from shared.kafka_broker import make_broker
from shared.metering import Meter
from shared.ops_history import LagSampler
from shared.ops_picture import OpsPicture
from shared.ops_reporter import OpsReporter
from shared.projections import KafkaEventLog, ProjectingPublisher, rebuild_from_log
from shared.publishing import EventPublisher
from shared.redis_factory import make_redis
from shared.state_guard import StateGuard
from shared.topics import (
    BENEFICIARY_PROFILE,
    FIXED_TOPICS,
    OPS_AUDIT,
    PARTNER_SUBSCRIPTION,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRALS_CREDENTIAL,
    REFERRALS_SIGNING,
    TopicSpec,
)

SERVICE = "referrals"
SOURCE = f"/passerelle/{SERVICE}"
log = logging.getLogger(__name__)


def create_app(settings: ReferralsSettings, clock: Clock | None = None) -> FastAPI:
    broker = make_broker(settings, SERVICE)
    redis = make_redis(settings.redis_url)
    service_clock = ServiceClock()
    now: Clock = clock or service_clock
    meter = Meter(SERVICE, settings.instance_id)
    reporter = OpsReporter(broker, meter, settings.heartbeat_interval_s)
    store, views, flags = ReferralStore(redis), ReferralViews(redis), ReviewFlags(redis)
    credential_log = EventPublisher(
        broker,
        REFERRALS_CREDENTIAL,
        CredentialChange,
        SOURCE,
        "Referrals' private record of partners, API key digests and accounts (notifications reads the digests)",
        meter=meter,
    )

    async def journal(change: CredentialChange) -> None:
        await credential_log.publish(change, key=change.id)

    credentials = Credentials(redis, journal, now)
    subscriptions = Subscriptions(redis)
    table = ReferralsProjections(store, views, flags, credentials, subscriptions).table()

    def publisher(spec: TopicSpec, model: type[Event], description: str) -> ProjectingPublisher:
        """The log first, then referrals' own projection of the event (the one the rebuild replays)."""
        return ProjectingPublisher(EventPublisher(broker, spec, model, SOURCE, description, meter=meter), table, now)

    publishers = Publishers(
        profiles=publisher(
            BENEFICIARY_PROFILE, BeneficiaryProfile, "Pseudonymous profile of a newcomer who signed the CIR"
        ),
        openings=publisher(PROGRAMME_OPENING, ProgrammeOpening, "A programme opening was created or changed"),
        referral_events=publisher(REFERRAL_EVENT, ReferralEvent, "A referral changed state"),
        audit=publisher(OPS_AUDIT, AuditRecord, "Who saw or changed what, when"),
        subscriptions=publisher(PARTNER_SUBSCRIPTION, PartnerSubscription, "A partner's pool subscription changed"),
        signings=publisher(
            REFERRALS_SIGNING,
            SigningRecorded,
            "Referrals' private record of a CIR signing, contact details included (no other reader)",
        ),
    )
    lifecycle = Lifecycle(store, views, ReferralLocks(redis), publishers, now)
    context = ReferralsContext(
        store=store,
        views=views,
        publishers=publishers,
        lifecycle=lifecycle,
        credentials=credentials,
        subscriptions=subscriptions,
        clock=now,
        webhook_targets=settings.webhook_target_policy(),
        signing_dates=SigningDateRules(settings.min_age_at_signing, settings.max_age_at_signing),
        flags=flags,
    )
    event_log = KafkaEventLog(settings.kafka_bootstrap_servers)
    guard = StateGuard(
        redis,
        SERVICE,
        lambda: rebuild_from_log(event_log, table, settings.max_event_bytes),
        check_interval_s=settings.state_check_interval_s,
    )
    accounts = Accounts(redis, journal)
    lag_sampler = LagSampler(settings.kafka_bootstrap_servers, settings.lag_sample_interval_s)
    ops_picture = OpsPicture()
    secret = settings.session_secret.get_secret_value()
    links = ReferralLinks(secret, timedelta(days=settings.link_days), context.credentials)
    relay = SmtpRelay(settings.smtp_host, settings.smtp_port, settings.mail_from) if settings.smtp_host else None
    mail = PartnerMail(relay, redis, context.credentials, links, publishers.audit, settings.console_url, now)
    register_consumers(broker, settings, context, table, DeadLetters(broker, SERVICE, meter), guard, mail)

    async def sweep_deadlines_forever() -> None:
        while True:
            await asyncio.sleep(settings.deadline_sweep_interval_s)
            try:
                if not await guard.intact():
                    continue  # the rebuild comes first
                moment = now()
                await lifecycle.send_reminders(moment)
                await lifecycle.expire_overdue(moment)
                await mail.retry_failed()
            except Exception:
                log.exception("deadline sweep failed; it will run again")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.kafka_manage_topics:
            await ensure_topics(settings.kafka_bootstrap_servers, FIXED_TOPICS, settings.kafka_replication_factor)
        await guard.ensure()  # a fresh or emptied Redis is rebuilt from the log before anything is served
        await broker.start()
        sweeper = asyncio.create_task(sweep_deadlines_forever())
        reporting = asyncio.create_task(reporter.run_forever())
        watching = asyncio.create_task(guard.watch_forever())
        sampling = asyncio.create_task(lag_sampler.run_forever())
        picturing = asyncio.create_task(ops_picture.follow(settings.kafka_bootstrap_servers))
        try:
            yield
        finally:
            sweeper.cancel()
            reporting.cancel()
            watching.cancel()
            sampling.cancel()
            picturing.cancel()
            await broker.stop()
            await redis.aclose()

    app = FastAPI(
        title="Passerelle referrals",
        version="0.1.0",
        summary="CIR signings, openings and referrals: the front door and system of record",
        lifespan=lifespan,
        docs_url=None,  # served by the console from the service's own files (no CDN)
    )
    app.state.context = context
    app.state.broker = broker
    add_tracing(app)
    add_state_gate(app, guard)
    add_request_limits(app, settings.max_request_bytes, redis, SERVICE)
    add_bus_error_answers(app)
    app.state.admin_token = settings.admin_token.get_secret_value()
    app.state.credentials = context.credentials
    app.state.kafka_bootstrap_servers = settings.kafka_bootstrap_servers
    app.state.links = links
    app.state.lag_sampler = lag_sampler
    app.state.ops_picture = ops_picture
    oidc = None
    if settings.oidc_issuer_url:
        client_secret = settings.oidc_client_secret.get_secret_value()
        oidc = oidc_configure(settings.oidc_issuer_url, settings.oidc_client_id, client_secret)
    add_console(
        app,
        accounts,
        OccupationReferential.load(settings.rome_referential_path),
        secret,
        settings.session_hours,
        settings.secure_cookies,
        settings.assets_dir,
        oidc,
        settings.oidc_label,
    )
    app.include_router(ops_api.router)
    app.include_router(admin_api.router)
    app.include_router(signings_api.router)
    app.include_router(openings_api.router)
    app.include_router(directory_api.router)
    app.include_router(referrals_api.router)
    app.include_router(subscriptions_api.router)
    if settings.test_clock:

        @app.put("/v1/ops/clock", tags=["ops"])
        async def advance_clock(admin: AdminDep, days: float = 0, hours: float = 0) -> dict[str, str]:
            """Move the service's clock forward (test environments only); deadlines are checked at once."""
            try:
                moment = service_clock.advance(timedelta(days=days, hours=hours))
            except ValueError as exc:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
            reminded = await lifecycle.send_reminders(moment)
            expired = await lifecycle.expire_overdue(moment)
            return {"now": moment.isoformat(), "reminded": str(len(reminded)), "expired": str(len(expired))}

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

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(IllegalTransition)
    async def illegal(request: Request, exc: IllegalTransition) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc), "current_status": exc.current.value}, status_code=status.HTTP_409_CONFLICT
        )

    @app.exception_handler(InvalidFields)
    async def invalid_fields(request: Request, exc: InvalidFields) -> JSONResponse:
        return JSONResponse({"detail": exc.as_detail()}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_409_CONFLICT)

    return app
