"""A partner asks for a webhook to be delivered again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.notifications.domain.webhook_job import WebhookJob
from services.notifications.service_layer.ports import Outbox

Clock = Callable[[], datetime]


async def redeliver(outbox: Outbox, job_id: str, partner_id: str, clock: Clock) -> WebhookJob | None:
    """Schedule a job again now (a delivered one too: the receiver dedupes on the idempotency key)."""
    job = await outbox.get(job_id)
    if job is None or job.partner_id != partner_id:
        return None
    job.status, job.created_at = "pending", clock()
    await outbox.save(job, due=clock())
    return job
