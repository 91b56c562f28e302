"""Notifications, wired: the one composition root. Production passes the Redis adapters and the broker's
publishers (`create_app`, main.py); the unit tests pass in-memory fakes and a log in memory. The
projections, the consumed topics' routes (from the topology and the event handlers) and the use cases are
built here and nowhere else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from services.notifications.adapters.consent_view import ConsentView, ReferralIndex
from services.notifications.adapters.delivery_log import DeliveryLog
from services.notifications.adapters.partner_topics import PartnerTopics
from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.adapters.webhook_outbox import WebhookOutbox
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints.consumers import EVENT_HANDLERS
from services.notifications.service_layer.commands import notifications_commands
from services.notifications.service_layer.deliver import Clock
from services.notifications.service_layer.ports import (
    Consents,
    Deliveries,
    KeyDigests,
    Outbox,
    PoolSubscriptions,
    Referrals,
    Topics,
    WebhookSending,
)
from services.notifications.service_layer.projections import AUTH_PREFIX, NotificationsProjections
from services.notifications.topology import PARTNER_TOPIC_PATTERN, TOPOLOGY
from shared.access import Credentials
from shared.messaging.command_bus import CommandBus
from shared.messaging.consuming import Route
from shared.messaging.injection import inject_all
from shared.messaging.projections import EventLog, ProjectingPublisher, ProjectionTable, rebuild_from_log
from shared.messaging.topology import Outlet

SERVICE = TOPOLOGY.service


@dataclass
class NotificationsAdapters:
    """Notifications' state and its partner topics: Redis and Kafka in production (`production_adapters`),
    in-memory fakes in the unit tests. `key_digests` keeps the partners' API key digests."""

    subscriptions: PoolSubscriptions
    deliveries: Deliveries
    outbox: Outbox
    consents: Consents
    referrals: Referrals
    key_digests: KeyDigests
    topics: Topics


def credentials_copy(redis: Redis, clock: Clock) -> Credentials:
    """Notifications' copy of the partners' key digests (projected from referrals' credential log), which
    authenticates the partners' calls to its API."""
    return Credentials(redis, clock=clock, prefix=AUTH_PREFIX, owner=SERVICE)


def production_adapters(
    settings: NotificationsSettings, redis: Redis, credentials: Credentials
) -> NotificationsAdapters:
    return NotificationsAdapters(
        subscriptions=SubscriptionsView(redis), deliveries=DeliveryLog(redis), outbox=WebhookOutbox(redis),
        consents=ConsentView(redis), referrals=ReferralIndex(redis),
        key_digests=credentials,
        topics=PartnerTopics(
            settings.kafka_bootstrap_servers, settings.kafka_replication_factor, settings.kafka_manage_topics
        ),
    )  # fmt: skip


@dataclass
class Notifications:
    adapters: NotificationsAdapters
    table: ProjectionTable
    routes: list[Route]
    bus: CommandBus  # what partners and the schedule ask: SendDueWebhooks, Redeliver
    rebuild: Callable[[], Awaitable[dict[str, int]]]


def bootstrap(
    settings: NotificationsSettings,
    adapters: NotificationsAdapters,
    outlet: Outlet,
    event_log: EventLog,
    clock: Clock,
    webhooks: WebhookSending,
) -> Notifications:
    a = adapters
    table = NotificationsProjections(a.subscriptions, a.deliveries, a.key_digests, a.consents, a.referrals).table()
    raw = outlet(TOPOLOGY.published(PARTNER_TOPIC_PATTERN))
    dependencies = {
        "subscriptions": a.subscriptions, "topics": a.topics, "deliveries": a.deliveries, "outbox": a.outbox,
        "clock": clock, "consents": a.consents, "referrals": a.referrals,
        "entries": ProjectingPublisher(raw, table, clock),  # each entry sent is recorded in the delivery log
        "tombstones": raw,  # not projected: a deletion is not a delivery
    }  # fmt: skip
    routes = TOPOLOGY.routes(table, clock, inject_all(EVENT_HANDLERS, dependencies))

    async def rebuild() -> dict[str, int]:
        return await rebuild_from_log(event_log, table, settings.max_event_bytes)

    return Notifications(adapters, table, routes, notifications_commands(a.outbox, webhooks, clock), rebuild)
