"""What notifications is asked to do outside its consumed events (a partner's request, its schedule), and
the handler of each: the service's command side."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifications.domain.webhook_job import WebhookJob
from services.notifications.service_layer.ports import Outbox, WebhookSending
from services.notifications.service_layer.redelivery import Clock, redeliver
from shared.messaging.command_bus import Command, CommandBus


@dataclass(frozen=True)
class SendDueWebhooks(Command[int]):
    """Attempt every webhook delivery that is due, once; returns how many were delivered."""


@dataclass(frozen=True)
class Redeliver(Command[WebhookJob | None]):
    """A partner asks for one of its deliveries again (None: no such delivery of this partner)."""

    job_id: str
    partner_id: str


def notifications_commands(outbox: Outbox, webhooks: WebhookSending, clock: Clock) -> CommandBus:
    async def send_due(command: SendDueWebhooks) -> int:
        return await webhooks.send_due()

    async def deliver_again(command: Redeliver) -> WebhookJob | None:
        return await redeliver(outbox, command.job_id, command.partner_id, clock)

    return CommandBus({SendDueWebhooks: send_due, Redeliver: deliver_again})
