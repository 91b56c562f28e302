"""A partner subscribes to the candidates that fit it: filters, and a Kafka topic and/or a signed webhook."""

from __future__ import annotations

import secrets
import uuid

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, HttpUrl

from services.referrals.entrypoints.dependencies import ContextDep
from shared.access import Principal
from shared.events import PartnerSubscription, PoolFilters, WebhookChannel
from shared.http_auth import PartnerDep
from shared.http_errors import KEYED, UNAVAILABLE, errors

router = APIRouter(
    prefix="/v1/partners/{partner_id}/subscriptions", tags=["subscriptions"], responses=errors(*KEYED, *UNAVAILABLE)
)


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: PoolFilters = PoolFilters()
    kafka: bool = True
    webhook_url: HttpUrl | None = None


class SubscriptionPublic(BaseModel):
    subscription_id: str
    partner_id: str
    filters: PoolFilters
    kafka: bool
    webhook_url: str | None
    active: bool
    webhook_secret: str | None = None  # only in the answer to the creation


def _public(subscription: PartnerSubscription, secret: str | None = None) -> SubscriptionPublic:
    return SubscriptionPublic(
        subscription_id=subscription.subscription_id,
        partner_id=subscription.partner_id,
        filters=subscription.filters,
        kafka=subscription.kafka,
        webhook_url=str(subscription.webhook.url) if subscription.webhook else None,
        active=subscription.active,
        webhook_secret=secret,
    )


def _own(partner_id: str, partner: Principal) -> None:
    if partner.partner_id != partner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a partner manages only its own subscriptions")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionPublic, responses=errors(400))
async def subscribe(
    partner_id: str, body: SubscriptionCreate, partner: PartnerDep, context: ContextDep
) -> SubscriptionPublic:
    """Subscribe; with a webhook, the signing secret is in this answer and never shown again."""
    _own(partner_id, partner)
    if not body.kafka and body.webhook_url is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "webhook_url"], "msg": "give a webhook_url or keep kafka true", "type": "value_error"}],
        )
    secret = f"whsec_{secrets.token_urlsafe(32)}" if body.webhook_url else None
    subscription = PartnerSubscription(
        subscription_id=str(uuid.uuid4()),
        partner_id=partner_id,
        filters=body.filters,
        kafka=body.kafka,
        webhook=WebhookChannel(url=body.webhook_url, secret=secret) if body.webhook_url and secret else None,
        changed_at=context.clock(),
    )
    await context.subscriptions.save(subscription)
    await context.publishers.subscriptions.publish(subscription, key=partner_id)
    return _public(subscription, secret)


@router.get("", response_model=list[SubscriptionPublic])
async def list_subscriptions(partner_id: str, partner: PartnerDep, context: ContextDep) -> list[SubscriptionPublic]:
    """The partner's subscriptions (secrets are never shown again)."""
    _own(partner_id, partner)
    return [_public(s) for s in await context.subscriptions.of(partner_id)]


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def unsubscribe(partner_id: str, subscription_id: str, partner: PartnerDep, context: ContextDep) -> Response:
    """Cancel a subscription: nothing more is delivered for it."""
    _own(partner_id, partner)
    subscription = await context.subscriptions.get(partner_id, subscription_id)
    if subscription is None or not subscription.active:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"subscription {subscription_id} does not exist")
    cancelled = subscription.model_copy(update={"active": False, "changed_at": context.clock()})
    await context.subscriptions.save(cancelled)
    await context.publishers.subscriptions.publish(cancelled, key=partner_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
