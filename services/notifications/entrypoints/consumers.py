"""Notifications' event handlers, by the name its topology gives them: each takes the event, then what it
needs by name (injected by the bootstrap). The events are projected before their handler runs."""

from __future__ import annotations

from services.notifications.service_layer.deliver import Clock, fan_out
from services.notifications.service_layer.ports import (
    Consents,
    Deliveries,
    Outbox,
    PoolSubscriptions,
    Referrals,
    Tombstones,
    Topics,
)
from services.notifications.service_layer.withdraw import withdraw_from_pools
from shared.contract.events import ConsentRecorded, ReferralEvent
from shared.messaging.injection import Handler
from shared.messaging.projections import Publisher


async def send_to_partner_and_pools(
    event: ReferralEvent,
    subscriptions: PoolSubscriptions,
    topics: Topics,
    deliveries: Deliveries,
    entries: Publisher,  # projected: each entry sent is recorded in the delivery log
    outbox: Outbox,
    clock: Clock,
    consents: Consents,
) -> None:
    """Send a new referral to its partner, and to the pools whose subscriptions it fits, once each."""
    await fan_out(event, subscriptions, topics, deliveries, entries, outbox, clock, consents)


async def withdraw_if_narrowed(
    record: ConsentRecorded,
    referrals: Referrals,
    deliveries: Deliveries,
    topics: Topics,
    tombstones: Tombstones,  # not projected: a deletion is not a delivery
    subscriptions: PoolSubscriptions,
    outbox: Outbox,
    clock: Clock,
) -> None:
    """A consent that no longer allows some pool: the partners holding those entries delete them."""
    await withdraw_from_pools(record, referrals, deliveries, topics, tombstones, subscriptions, outbox, clock)


EVENT_HANDLERS: dict[str, Handler] = {
    "send_to_partner_and_pools": send_to_partner_and_pools,
    "withdraw_if_narrowed": withdraw_if_narrowed,
}
