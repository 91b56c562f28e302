"""Notifications' consumed topics, as a table: each is projected, then reacted to."""

from __future__ import annotations

from dataclasses import dataclass

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
from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events import ConsentRecorded, PartnerSubscription, ReferralEvent
from shared.contract.events.credential import CredentialChange
from shared.contract.topics import PARTNER_SUBSCRIPTION, REFERRAL_EVENT, REFERRALS_CONSENT, REFERRALS_CREDENTIAL
from shared.messaging.consuming import Route
from shared.messaging.projections import ProjectionTable, Publisher, consumes

REFERRAL_EVENTS_GROUP = "notifications.referral-events"
SUBSCRIPTIONS_GROUP = "notifications.subscriptions"
CREDENTIALS_GROUP = "notifications.credentials"
CONSENT_GROUP = "notifications.consent"


@dataclass
class NotificationsDependencies:
    table: ProjectionTable
    topics: Topics
    deliveries: Deliveries
    entries: Publisher  # projected: each entry sent is recorded in the delivery log
    subscriptions: PoolSubscriptions
    outbox: Outbox
    clock: Clock
    consents: Consents
    referrals: Referrals
    tombstones: Tombstones  # not projected: a deletion is not a delivery


def notifications_routes(deps: NotificationsDependencies) -> list[Route]:
    async def send_to_partner_and_pools(event: ReferralEvent, attributes: CloudEventAttributes) -> None:
        """Send a new referral to its partner, and to the pools whose subscriptions it fits, once each."""
        await fan_out(
            event, deps.subscriptions, deps.topics, deps.deliveries, deps.entries, deps.outbox, deps.clock,
            deps.consents,
        )  # fmt: skip

    async def withdraw_if_narrowed(record: ConsentRecorded, attributes: CloudEventAttributes) -> None:
        """A consent that no longer allows some pool: the partners holding those entries delete them."""
        await withdraw_from_pools(
            record, deps.referrals, deps.deliveries, deps.topics, deps.tombstones, deps.subscriptions, deps.outbox,
            deps.clock,
        )  # fmt: skip

    table, clock = deps.table, deps.clock
    return [
        consumes(table, REFERRAL_EVENT, ReferralEvent, REFERRAL_EVENTS_GROUP, clock, send_to_partner_and_pools),
        consumes(table, PARTNER_SUBSCRIPTION, PartnerSubscription, SUBSCRIPTIONS_GROUP, clock),
        consumes(table, REFERRALS_CREDENTIAL, CredentialChange, CREDENTIALS_GROUP, clock),
        consumes(table, REFERRALS_CONSENT, ConsentRecorded, CONSENT_GROUP, clock, withdraw_if_narrowed),
    ]
