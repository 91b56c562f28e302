"""Rebuilding what notifications keeps in Redis from the topics, after Redis was lost.

- subscriptions                      ← partner.subscription.v1
- anonymous counts per subscription  ← partner.subscription.v1 and referral.event.v1 merged by time: each
                                       new referral is fitted against the subscriptions of that moment
- delivery log (who got which entry) ← every partner.<id>.candidates.v1: notifications' own output is the
                                       record of what was sent, so nothing is sent twice after the loss
Not rebuilt: webhook attempts still in the outbox when Redis was lost (the entry itself is on the
partner's topic; the partner can ask for a re-delivery) and the per-partner webhook delivery history."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.notifications.adapters.delivery_log import DeliveryLog
from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.domain.candidate_entry import candidate_entry_for
from services.notifications.domain.pool_filters import fits
from shared.cloudevents import MissingCloudEventHeader, read_attributes
from shared.consuming import PoisonMessage, decode_event
from shared.events import PartnerSubscription, ReferralEvent
from shared.topic_reading import merged_by_time, records_to_end, topic_names
from shared.topics import PARTNER_SUBSCRIPTION, REFERRAL_EVENT

PARTNER_TOPIC = re.compile(r"^partner\.(?P<partner>[a-z0-9][a-z0-9-]{1,62})\.candidates\.v1$")


@dataclass
class NotificationsState:
    subscriptions: SubscriptionsView
    deliveries: DeliveryLog


async def rebuild_notifications_state(
    bootstrap: str, state: NotificationsState, max_event_bytes: int
) -> dict[str, int]:
    counts = {"subscriptions": 0, "anonymous": 0, "deliveries": 0, "skipped": 0}
    current: dict[str, PartnerSubscription] = {}
    for record in await merged_by_time(bootstrap, [PARTNER_SUBSCRIPTION.name, REFERRAL_EVENT.name]):
        headers, body = dict(record.headers), record.value or b""
        try:
            if record.topic == PARTNER_SUBSCRIPTION.name:
                subscription, _ = decode_event(PartnerSubscription, body, headers, max_event_bytes)
                current[subscription.subscription_id] = subscription
                await state.subscriptions.upsert(subscription)
                counts["subscriptions"] += 1
                continue
            event, _ = decode_event(ReferralEvent, body, headers, max_event_bytes)
        except PoisonMessage:
            counts["skipped"] += 1  # dead-lettered when it was first consumed
            continue
        if candidate_entry_for(event) is None or event.candidate.consented:
            continue
        for subscription in current.values():
            if (
                subscription.active
                and subscription.partner_id != event.partner_id
                and fits(subscription.filters, event)
            ):
                await state.subscriptions.count_anonymous(subscription.subscription_id)
                counts["anonymous"] += 1

    partner_topics = {m["partner"]: t for t in await topic_names(bootstrap) if (m := PARTNER_TOPIC.match(t))}
    for partner_id, topic in sorted(partner_topics.items()):
        async for record in records_to_end(bootstrap, topic):
            try:
                entry_id = read_attributes(dict(record.headers)).id
            except MissingCloudEventHeader:
                counts["skipped"] += 1
                continue
            await state.deliveries.record_delivery(partner_id, (record.key or b"").decode(), entry_id)
            counts["deliveries"] += 1
    return counts
