"""Notifications' Kafka entrypoint: referral events become partner candidate-pool entries."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from services.notifications.adapters.delivery_log import DeliveryLog
from services.notifications.adapters.partner_topics import PartnerTopics
from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.adapters.webhook_outbox import WebhookOutbox
from services.notifications.config import NotificationsSettings
from services.notifications.service_layer.deliver import Clock, fan_out
from shared.cloudevents import CloudEventAttributes
from shared.consuming import subscribe
from shared.dead_letters import DeadLetters
from shared.events import PartnerSubscription, ReferralEvent
from shared.publishing import EventPublisher
from shared.state_guard import StateGuard
from shared.topics import PARTNER_SUBSCRIPTION, REFERRAL_EVENT

REFERRAL_EVENTS_GROUP = "notifications.referral-events"
SUBSCRIPTIONS_GROUP = "notifications.subscriptions"


@dataclass
class NotificationsDependencies:
    topics: PartnerTopics
    deliveries: DeliveryLog
    entries: EventPublisher
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
    async def on_referral_event(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """Send a new referral to its partner, and to the pools whose subscriptions it fits, once each."""
        await fan_out(event, deps.subscriptions, deps.topics, deps.deliveries, deps.entries, deps.outbox, deps.clock)

    async def on_subscription_changed(subscription: PartnerSubscription, attributes: CloudEventAttributes) -> None:
        """Keep notifications' view of the partners' subscriptions."""
        await deps.subscriptions.upsert(subscription)

    for topic, model, handler, group in (
        (REFERRAL_EVENT.name, ReferralEvent, on_referral_event, REFERRAL_EVENTS_GROUP),
        (PARTNER_SUBSCRIPTION.name, PartnerSubscription, on_subscription_changed, SUBSCRIPTIONS_GROUP),
    ):
        subscribe(broker, settings, topic, model, handler, group, deps.dead_letters, guard)  # type: ignore[arg-type]
