"""A partner subscribes to the candidates that fit it: filters, and a Kafka topic and/or a signed webhook."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, HttpUrl

from services.referrals.entrypoints.dependencies import ContextDep
from services.referrals.service_layer.commands import Subscribe, Unsubscribe
from shared.contract.events import PartnerSubscription, PoolFilters
from shared.http.auth import PartnerDep
from shared.http.errors import KEYED, UNAVAILABLE, errors
from shared.principals import Principal
from shared.webhooks.targets import WebhookTargetRefused

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
    try:
        webhook_url = str(body.webhook_url) if body.webhook_url else None
        subscription, secret = await context.bus.handle(Subscribe(partner_id, body.filters, body.kafka, webhook_url))
    except WebhookTargetRefused as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "webhook_url"], "msg": str(exc), "type": "webhook_target"}],
        ) from exc
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
    await context.bus.handle(Unsubscribe(partner_id, subscription_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
