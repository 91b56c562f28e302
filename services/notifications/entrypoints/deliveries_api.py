"""Partners read their webhook delivery log and ask for a re-delivery."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.adapters.webhook_outbox import WebhookOutbox
from services.notifications.service_layer.commands import Redeliver
from shared.http.auth import PartnerDep
from shared.http.errors import KEYED, UNAVAILABLE, errors
from shared.messaging.command_bus import CommandBus
from shared.principals import Principal

router = APIRouter(prefix="/v1/partners/{partner_id}", tags=["deliveries"], responses=errors(*KEYED, *UNAVAILABLE))


async def _outbox(request: Request) -> WebhookOutbox:  # async: a plain def would run in a thread per request
    outbox: WebhookOutbox = request.app.state.outbox
    return outbox


OutboxDep = Annotated[WebhookOutbox, Depends(_outbox)]


def _own(partner_id: str, partner: Principal) -> None:
    if partner.partner_id != partner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a partner sees only its own deliveries")


@router.get("/deliveries")
async def delivery_log(partner_id: str, partner: PartnerDep, outbox: OutboxDep) -> list[dict[str, Any]]:
    """Every webhook delivery to this partner: attempts, status (pending, delivered, dead), last error."""
    _own(partner_id, partner)
    return [job.public() for job in await outbox.log_of(partner_id)]


@router.post("/deliveries/{job_id}/redeliver", status_code=status.HTTP_202_ACCEPTED, responses=errors(404))
async def ask_redelivery(partner_id: str, job_id: str, partner: PartnerDep, request: Request) -> dict[str, Any]:
    """Send a delivery again now (its idempotency key stays the same)."""
    _own(partner_id, partner)
    bus: CommandBus = request.app.state.bus
    job = await bus.handle(Redeliver(job_id, partner_id))
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"delivery {job_id} does not exist")
    return job.public()


@router.get("/pool/anonymous-counts")
async def anonymous_counts(partner_id: str, partner: PartnerDep, request: Request) -> dict[str, int]:
    """Per subscription: candidates that fitted but did not consent to be shown (a count, nothing else)."""
    _own(partner_id, partner)
    view: SubscriptionsView = request.app.state.subscriptions
    return {
        s.subscription_id: await view.anonymous(s.subscription_id)
        for s in await view.active()
        if s.partner_id == partner_id
    }
