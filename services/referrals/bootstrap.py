"""Referrals, wired: the one composition root of its core. Production passes the Redis adapters and the
broker's publishers (`create_app`, main.py); the unit tests pass in-memory fakes and a log in memory. The
projections, the publishers (from the topology), the consumed topics' routes, the command bus and the use
cases are built here and nowhere else; `console_parts` adds what only the console needs (accounts,
sign-in, sessions, e-mail links)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from services.referrals.adapters.accounts import Accounts
from services.referrals.adapters.console_sessions import ConsoleSessions
from services.referrals.adapters.locks import ReferralLocks
from services.referrals.adapters.mail_ledger import MailLedger
from services.referrals.adapters.password_hashing import PasswordHashing
from services.referrals.adapters.personal_keys import PersonalKeyStore
from services.referrals.adapters.referral_links import ReferralLinks
from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.adapters.review_flags import ReviewFlags
from services.referrals.adapters.sign_in_throttle import SignInThrottle
from services.referrals.adapters.smtp_relay import SmtpRelay
from services.referrals.adapters.store import ReferralStore
from services.referrals.adapters.subscriptions import Subscriptions
from services.referrals.config import ReferralsSettings
from services.referrals.domain.sealing import MasterKey
from services.referrals.domain.signing import SigningDateRules
from services.referrals.entrypoints.consumers import EVENT_HANDLERS
from services.referrals.entrypoints.dependencies import ReferralsContext
from services.referrals.service_layer.account_administration import AccountAdministration
from services.referrals.service_layer.commands import referrals_commands
from services.referrals.service_layer.handlers import Clock, Publishers
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.lifecycle_handlers import Lifecycle
from services.referrals.service_layer.partner_mail import PartnerMail
from services.referrals.service_layer.ports import Locks, PartnerMailing, PersonalKeys
from services.referrals.service_layer.projections import ReferralsProjections
from services.referrals.service_layer.sign_in import PasswordSignIn
from services.referrals.topology import TOPOLOGY
from shared.access import CredentialJournal, Credentials
from shared.contract.events import AuditRecord
from shared.contract.events.credential import CredentialChange
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
from shared.messaging.injection import inject_all
from shared.messaging.projections import EventLog, ProjectingPublisher, ProjectionTable, Publisher, rebuild_from_log
from shared.messaging.topology import Outlet

SERVICE = TOPOLOGY.service


@dataclass
class ReferralsAdapters:
    """Referrals' state: Redis in production (`redis_adapters`), in-memory fakes in the unit tests."""

    store: ReferralStore
    views: ReferralViews
    flags: ReviewFlags
    credentials: Credentials
    subscriptions: Subscriptions
    personal_keys: PersonalKeys
    locks: Locks


def credential_journal(outlet: Outlet) -> CredentialJournal:
    """Every credential change is written first to referrals' private log (its Redis copy is rebuilt from it)."""
    log = outlet(TOPOLOGY.published(REFERRALS_CREDENTIAL))

    async def journal(change: CredentialChange) -> None:
        await log.publish(change, key=change.id)

    return journal


def redis_adapters(redis: Redis, journal: CredentialJournal, clock: Clock) -> ReferralsAdapters:
    return ReferralsAdapters(
        store=ReferralStore(redis), views=ReferralViews(redis), flags=ReviewFlags(redis),
        credentials=Credentials(redis, journal, clock), subscriptions=Subscriptions(redis),
        personal_keys=PersonalKeyStore(redis), locks=ReferralLocks(redis),
    )  # fmt: skip


@dataclass
class Referrals:
    context: ReferralsContext
    table: ProjectionTable
    routes: list[Route]
    mail: PartnerMailing
    rebuild: Callable[[], Awaitable[dict[str, int]]]


def bootstrap(
    settings: ReferralsSettings,
    adapters: ReferralsAdapters,
    outlet: Outlet,
    event_log: EventLog,
    clock: Clock,
    mail: Callable[[Publisher], PartnerMailing],
    master: MasterKey | None = None,
) -> Referrals:
    """`mail(audit)` makes what e-mails the partners, given the audit publisher it records what it sent
    on; `master` is the master key (the settings' by default)."""
    a = adapters
    keyring = Keyring(master or settings.master(), a.personal_keys)
    table = ReferralsProjections(a.store, a.views, a.flags, a.credentials, a.subscriptions, keyring).table()

    def publisher(topic: TopicSpec) -> ProjectingPublisher:
        """The log first, then referrals' own projection of the event (the one the rebuild replays)."""
        return ProjectingPublisher(outlet(TOPOLOGY.published(topic)), table, clock)

    publishers = Publishers(
        profiles=publisher(BENEFICIARY_PROFILE), openings=publisher(PROGRAMME_OPENING),
        referral_events=publisher(REFERRAL_EVENT), audit=publisher(OPS_AUDIT),
        subscriptions=publisher(PARTNER_SUBSCRIPTION), signings=publisher(REFERRALS_SIGNING),
        keys=publisher(REFERRALS_KEY), consents=publisher(REFERRALS_CONSENT), windows=publisher(REFERRAL_WINDOW),
    )  # fmt: skip
    lifecycle = Lifecycle(a.store, a.views, a.locks, publishers, clock, settings.decision_windows())
    signing_dates = SigningDateRules(settings.min_age_at_signing, settings.max_age_at_signing)
    webhook_targets = settings.webhook_target_policy()
    mailer = mail(publishers.audit)
    bus = referrals_commands(
        a.store, publishers, lifecycle, a.subscriptions, clock, signing_dates, webhook_targets, keyring,
        settings.retention_months, mailer,
    )  # fmt: skip
    context = ReferralsContext(
        store=a.store, views=a.views, publishers=publishers, lifecycle=lifecycle, credentials=a.credentials,
        subscriptions=a.subscriptions, clock=clock, webhook_targets=webhook_targets, signing_dates=signing_dates,
        flags=a.flags, bus=bus, keyring=keyring,
    )  # fmt: skip
    dependencies = {
        "lifecycle": lifecycle, "store": a.store, "views": a.views, "publishers": publishers, "clock": clock,
        "mail": mailer,
    }  # fmt: skip
    routes = TOPOLOGY.routes(table, clock, inject_all(EVENT_HANDLERS, dependencies))

    async def rebuild() -> dict[str, int]:
        return await rebuild_from_log(event_log, table, settings.max_event_bytes)

    return Referrals(context, table, routes, mailer, rebuild)


@dataclass
class ConsoleParts:
    accounts: Accounts
    sign_in: PasswordSignIn
    sessions: ConsoleSessions
    administration: AccountAdministration
    links: ReferralLinks


def referral_links(settings: ReferralsSettings, credentials: Credentials) -> ReferralLinks:
    return ReferralLinks(settings.session_key(), timedelta(days=settings.link_days), credentials)


def partner_mail(
    settings: ReferralsSettings, redis: Redis, credentials: Credentials, links: ReferralLinks, clock: Clock
) -> Callable[[Publisher], PartnerMail]:
    relay = SmtpRelay(settings.smtp_host, settings.smtp_port, settings.mail_from) if settings.smtp_host else None

    def mail(audit: Publisher) -> PartnerMail:
        return PartnerMail(relay, MailLedger(redis), credentials, links, audit, settings.console_url, clock)

    return mail


def console_parts(
    settings: ReferralsSettings,
    redis: Redis,
    cache: Redis,
    journal: CredentialJournal,
    audit_log: Publisher,
    links: ReferralLinks,
    clock: Clock,
) -> ConsoleParts:
    """`redis` holds the state (rebuilt from the log), `cache` what may be lost: sessions, throttles."""
    accounts = Accounts(redis, journal, PasswordHashing(settings.sign_in_workers, settings.sign_in_max_waiting))

    async def audit(record: AuditRecord) -> None:
        await audit_log.publish(record, key=record.subject)

    sign_in = PasswordSignIn(accounts, SignInThrottle(cache, clock), audit, clock)
    sessions = ConsoleSessions(
        cache, clock, timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_hours)
    )
    administration = AccountAdministration(accounts, sessions, audit, clock)
    return ConsoleParts(accounts, sign_in, sessions, administration, links)
