"""Referrals, wired: the real adapters built once and injected into the projections, the consumed topics'
table and the use cases. `create_app` (main.py) adds the broker's lifecycle, the HTTP API and the console."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.referrals.adapters.accounts import Accounts
from services.referrals.adapters.console_sessions import ConsoleSessions
from services.referrals.adapters.locks import ReferralLocks
from services.referrals.adapters.password_hashing import PasswordHashing
from services.referrals.adapters.personal_keys import PersonalKeyStore
from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.adapters.review_flags import ReviewFlags
from services.referrals.adapters.sign_in_throttle import SignInThrottle
from services.referrals.adapters.store import ReferralStore
from services.referrals.adapters.subscriptions import Subscriptions
from services.referrals.config import ReferralsSettings
from services.referrals.console.links import ReferralLinks
from services.referrals.domain.records import PersonalKeyIssued, SigningSealed
from services.referrals.domain.signing import SigningDateRules
from services.referrals.entrypoints.consumers import referrals_routes
from services.referrals.entrypoints.dependencies import ReferralsContext
from services.referrals.service_layer.account_administration import AccountAdministration
from services.referrals.service_layer.commands import referrals_commands
from services.referrals.service_layer.handlers import Clock, Publishers
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.lifecycle_handlers import Lifecycle
from services.referrals.service_layer.partner_mail import PartnerMail, SmtpRelay
from services.referrals.service_layer.projections import ReferralsProjections
from services.referrals.service_layer.sign_in import PasswordSignIn
from shared.access import Credentials
from shared.contract.events import (
    AuditRecord,
    BeneficiaryProfile,
    ConsentRecorded,
    DecisionWindowClosed,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
)
from shared.contract.events.credential import CredentialChange
from shared.contract.events.envelope import Event
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    OPS_AUDIT,
    PARTNER_SUBSCRIPTION,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRAL_WINDOW,
    REFERRALS_CONSENT,
    REFERRALS_CREDENTIAL,
    REFERRALS_KEY,
    REFERRALS_SIGNING,
    TopicSpec,
)
from shared.messaging.consuming import Route
from shared.messaging.projections import KafkaEventLog, ProjectingPublisher, ProjectionTable, rebuild_from_log
from shared.messaging.publishing import EventPublisher
from shared.observability.metering import Meter

SERVICE = "referrals"
SOURCE = f"/passerelle/{SERVICE}"


@dataclass
class Referrals:
    context: ReferralsContext
    table: ProjectionTable
    routes: list[Route]
    accounts: Accounts
    sign_in: PasswordSignIn
    sessions: ConsoleSessions
    administration: AccountAdministration
    links: ReferralLinks
    mail: PartnerMail
    rebuild: Callable[[], Awaitable[dict[str, int]]]


def bootstrap(
    settings: ReferralsSettings, broker: KafkaBroker, redis: Redis, cache: Redis, meter: Meter, now: Clock
) -> Referrals:
    """`redis` holds the state (rebuilt from the log), `cache` what may be lost: sessions, throttles."""
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

    credentials, subscriptions = Credentials(redis, journal, now), Subscriptions(redis)
    keyring = Keyring(settings.master(), PersonalKeyStore(redis))
    table = ReferralsProjections(store, views, flags, credentials, subscriptions, keyring).table()

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
            SigningSealed,
            "Referrals' private record of a CIR signing, contact details included, sealed with the person's key",
        ),
        keys=publisher(
            REFERRALS_KEY,
            PersonalKeyIssued,
            "Each person's key, wrapped by the master key; its tombstone erases the person (no other reader)",
        ),
        consents=publisher(
            REFERRALS_CONSENT, ConsentRecorded, "A newcomer's consent, given, changed or withdrawn (every version)"
        ),
        windows=publisher(
            REFERRAL_WINDOW, DecisionWindowClosed, "A decision window closed: its proposed referrals, to re-solve"
        ),
    )
    locks = ReferralLocks(redis)
    lifecycle = Lifecycle(store, views, locks, publishers, now, settings.decision_windows())
    signing_dates = SigningDateRules(settings.min_age_at_signing, settings.max_age_at_signing)
    webhook_targets = settings.webhook_target_policy()
    bus = referrals_commands(
        store, publishers, lifecycle, subscriptions, now, signing_dates, webhook_targets, keyring,
        settings.retention_months,
    )  # fmt: skip
    context = ReferralsContext(
        store=store,
        views=views,
        publishers=publishers,
        lifecycle=lifecycle,
        credentials=credentials,
        subscriptions=subscriptions,
        clock=now,
        webhook_targets=webhook_targets,
        signing_dates=signing_dates,
        flags=flags,
        bus=bus,
        keyring=keyring,
    )
    links = ReferralLinks(settings.session_key(), timedelta(days=settings.link_days), credentials)
    relay = SmtpRelay(settings.smtp_host, settings.smtp_port, settings.mail_from) if settings.smtp_host else None
    mail = PartnerMail(relay, redis, credentials, links, publishers.audit, settings.console_url, now)
    event_log = KafkaEventLog(settings.kafka_bootstrap_servers)

    async def rebuild() -> dict[str, int]:
        return await rebuild_from_log(event_log, table, settings.max_event_bytes)

    routes = referrals_routes(context, table, mail)
    accounts = Accounts(redis, journal, PasswordHashing(settings.sign_in_workers, settings.sign_in_max_waiting))

    async def audit(record: AuditRecord) -> None:
        await publishers.audit.publish(record, key=record.subject)

    sign_in = PasswordSignIn(accounts, SignInThrottle(cache, now), audit, now)
    sessions = ConsoleSessions(
        cache, now, timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_hours)
    )
    administration = AccountAdministration(accounts, sessions, audit, now)
    return Referrals(context, table, routes, accounts, sign_in, sessions, administration, links, mail, rebuild)
