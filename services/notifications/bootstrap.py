"""Notifications, wired: the real adapters built once and injected into the projections, the consumed
topics' table and the use cases. `create_app` (main.py) adds the broker's lifecycle and the HTTP API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.notifications.adapters.consent_view import ConsentView, ReferralIndex
from services.notifications.adapters.delivery_log import DeliveryLog
from services.notifications.adapters.partner_topics import PartnerTopics
from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.adapters.webhook_outbox import WebhookOutbox
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints.consumers import NotificationsDependencies, notifications_routes
from services.notifications.service_layer.deliver import Clock
from services.notifications.service_layer.projections import AUTH_PREFIX, NotificationsProjections
from shared.access import Credentials
from shared.contract.events import PartnerCandidateEntry
from shared.contract.topics import TopicSpec
from shared.messaging.consuming import Route
from shared.messaging.projections import KafkaEventLog, ProjectingPublisher, ProjectionTable, rebuild_from_log
from shared.messaging.publishing import EventPublisher
from shared.observability.metering import Meter

SERVICE = "notifications"
PARTNER_TOPIC_PATTERN = TopicSpec("partner.{partner_id}.candidates.v1", 3, "referral id")


@dataclass
class Notifications:
    table: ProjectionTable
    routes: list[Route]
    outbox: WebhookOutbox
    subscriptions: SubscriptionsView
    credentials: Credentials
    rebuild: Callable[[], Awaitable[dict[str, int]]]


def bootstrap(
    settings: NotificationsSettings, broker: KafkaBroker, redis: Redis, meter: Meter, clock: Clock
) -> Notifications:
    outbox, subscriptions, deliveries = WebhookOutbox(redis), SubscriptionsView(redis), DeliveryLog(redis)
    credentials = Credentials(redis, clock=clock, prefix=AUTH_PREFIX, owner=SERVICE)
    consents, referrals = ConsentView(redis), ReferralIndex(redis)
    table = NotificationsProjections(subscriptions, deliveries, credentials, consents, referrals).table()
    entries = EventPublisher(
        broker,
        PARTNER_TOPIC_PATTERN,
        PartnerCandidateEntry,
        f"/passerelle/{SERVICE}",
        "A new candidate for the partner (its own referral, or its pool): minimised, pseudonymous. A null "
        "value under a referral id (a tombstone) means: delete that pool entry, the person withdrew consent",
        meter=meter,
    )
    topics = PartnerTopics(
        settings.kafka_bootstrap_servers, settings.kafka_replication_factor, settings.kafka_manage_topics
    )
    deps = NotificationsDependencies(
        table, topics, deliveries, ProjectingPublisher(entries, table, clock), subscriptions, outbox, clock,
        consents, referrals, entries,
    )  # fmt: skip
    event_log = KafkaEventLog(settings.kafka_bootstrap_servers)

    async def rebuild() -> dict[str, int]:
        return await rebuild_from_log(event_log, table, settings.max_event_bytes)

    return Notifications(table, notifications_routes(deps), outbox, subscriptions, credentials, rebuild)
