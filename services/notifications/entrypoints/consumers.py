"""Notifications' Kafka entrypoints, as a table: each consumed topic is projected, then reacted to."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from services.notifications.adapters.delivery_log import DeliveryLog
from services.notifications.adapters.partner_topics import PartnerTopics
from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.adapters.webhook_outbox import WebhookOutbox
from services.notifications.config import NotificationsSettings
from services.notifications.service_layer.deliver import Clock, fan_out
from shared.access import CredentialChange
from shared.cloudevents import CloudEventAttributes
from shared.consuming import subscribe
from shared.dead_letters import DeadLetters
from shared.events import PartnerSubscription, ReferralEvent
from shared.projections import ProjectionTable, Publisher, project_then
from shared.state_guard import StateGuard
from shared.topics import PARTNER_SUBSCRIPTION, REFERRAL_EVENT, REFERRALS_CREDENTIAL

REFERRAL_EVENTS_GROUP = "notifications.referral-events"
SUBSCRIPTIONS_GROUP = "notifications.subscriptions"
CREDENTIALS_GROUP = "notifications.credentials"


@dataclass
class NotificationsDependencies:
    table: ProjectionTable
    topics: PartnerTopics
    deliveries: DeliveryLog
    entries: Publisher  # projected: each entry sent is recorded in the delivery log
    dead_letters: DeadLetters
    subscriptions: SubscriptionsView
    outbox: WebhookOutbox
    clock: Clock


def register_consumers(
    broker: KafkaBroker,
    settings: NotificationsSettings,
    deps: NotificationsDependencies,
    guard: StateGuard | None = None,
) -> None:
    async def send_to_partner_and_pools(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """Send a new referral to its partner, and to the pools whose subscriptions it fits, once each."""
        await fan_out(event, deps.subscriptions, deps.topics, deps.deliveries, deps.entries, deps.outbox, deps.clock)

    for spec, model, react, group in (
        (REFERRAL_EVENT, ReferralEvent, send_to_partner_and_pools, REFERRAL_EVENTS_GROUP),
        (PARTNER_SUBSCRIPTION, PartnerSubscription, None, SUBSCRIPTIONS_GROUP),
        (REFERRALS_CREDENTIAL, CredentialChange, None, CREDENTIALS_GROUP),
    ):
        handler = project_then(deps.table, spec.name, deps.clock, react)
        subscribe(broker, settings, spec.name, model, handler, group, deps.dead_letters, guard)
