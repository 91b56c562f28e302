"""A partner's pool subscriptions: checked, written to `partner.subscription.v1` first, then kept."""

from __future__ import annotations

import uuid

from services.referrals.domain.errors import NotFound
from services.referrals.service_layer.handlers import Clock
from services.referrals.service_layer.ports import SubscriptionRecords
from shared.contract.events import PartnerSubscription, PoolFilters, WebhookChannel
from shared.messaging.projections import Publisher
from shared.webhooks.secrets import new_webhook_secret
from shared.webhooks.targets import WebhookTargetPolicy


async def subscribe(
    partner_id: str,
    filters: PoolFilters,
    kafka: bool,
    webhook_url: str | None,
    publisher: Publisher,
    targets: WebhookTargetPolicy,
    clock: Clock,
) -> tuple[PartnerSubscription, str | None]:
    """A new subscription and, with a webhook, its signing secret (shown this once). Raises
    WebhookTargetRefused for a target inside the platform."""
    if webhook_url is not None:
        await targets.check(webhook_url)
    secret = new_webhook_secret() if webhook_url else None
    subscription = PartnerSubscription(
        subscription_id=str(uuid.uuid4()),
        partner_id=partner_id,
        filters=filters,
        kafka=kafka,
        webhook=WebhookChannel(url=webhook_url, secret=secret) if webhook_url and secret else None,  # type: ignore[arg-type]
        changed_at=clock(),
    )
    await publisher.publish(subscription, key=partner_id)  # the log, then its projection
    return subscription, secret


async def unsubscribe(
    partner_id: str, subscription_id: str, subscriptions: SubscriptionRecords, publisher: Publisher, clock: Clock
) -> None:
    subscription = await subscriptions.get(partner_id, subscription_id)
    if subscription is None or not subscription.active:
        raise NotFound(f"subscription {subscription_id} does not exist")
    cancelled = subscription.model_copy(update={"active": False, "changed_at": clock()})
    await publisher.publish(cancelled, key=partner_id)
