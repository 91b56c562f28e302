"""Sending due webhooks: signed, retried with exponential back-off and jitter over a bounded window,
then dead-lettered; a partner may ask for a re-delivery."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from services.notifications.domain.signature import HEADER, IDEMPOTENCY_HEADER, sign, standard_headers
from services.notifications.domain.webhook_job import WebhookJob
from services.notifications.service_layer.ports import Outbox
from shared.messaging.dead_letters import DeadLetters
from shared.webhooks.targets import CheckedTarget, WebhookTargetPolicy, WebhookTargetRefused

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 2.0
    max_delay_s: float = 600.0
    window_s: float = 24 * 3600.0
    timeout_s: float = 5.0
    jitter: float = 0.2

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        raw = min(self.base_s * 2 ** (attempts - 1), self.max_delay_s)
        return timedelta(seconds=raw * (1 + rng.uniform(-self.jitter, self.jitter)))


@dataclass
class WebhookFailure:
    """What the dead-letter topic records for a webhook that never got through."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


async def send_due(
    outbox: Outbox,
    client: httpx.AsyncClient,
    clock: Clock,
    policy: RetryPolicy,
    dead_letters: DeadLetters,
    targets: WebhookTargetPolicy,
    rng: random.Random | None = None,
) -> int:
    """Attempt every due job once; return how many were delivered. A target that now resolves inside the
    platform (re-pointed since it was subscribed) is dead-lettered at once, with nothing sent."""
    rng = rng or random.Random()
    delivered = 0
    for job in await outbox.claim_due(clock()):
        if job.status != "pending":  # cancelled (the person withdrew consent) or done
            continue
        try:
            target = await targets.check(job.url)
        except WebhookTargetRefused as exc:
            await _give_up(job, outbox, dead_letters, f"webhook {job.url} refused before sending: {exc}")
            continue
        delivered += await _attempt(job, target, outbox, client, clock, policy, dead_letters, rng)
    return delivered


async def _give_up(job: WebhookJob, outbox: Outbox, dead_letters: DeadLetters, reason: str) -> None:
    job.status = "dead"
    await outbox.save(job)
    failure = WebhookFailure(f"webhook:{job.partner_id}", -1, job.attempts, job.referral_id.encode(), job.body.encode())
    await dead_letters.send(failure, reason)


async def _attempt(
    job: WebhookJob,
    target: CheckedTarget,
    outbox: Outbox,
    client: httpx.AsyncClient,
    clock: Clock,
    policy: RetryPolicy,
    dead_letters: DeadLetters,
    rng: random.Random,
) -> int:
    now = clock()
    body = job.body.encode()
    headers = {
        "content-type": "application/json",
        **standard_headers(job.secret, job.job_id, now, body),
        HEADER: sign(job.secret, int(now.timestamp()), body),
        IDEMPOTENCY_HEADER: job.job_id,
    }
    job.attempts += 1
    url, host, tls = target.request()  # the checked address: the name is not resolved a second time
    try:
        response = await client.post(
            url, content=body, headers=headers | host, timeout=policy.timeout_s, extensions=tls
        )
        error = None if response.is_success else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    if error is None:
        job.status, job.delivered_at, job.last_error = "delivered", now, None
        await outbox.save(job)
        return 1
    job.last_error = error
    if (now - job.created_at).total_seconds() >= policy.window_s:
        reason = f"webhook {job.url} failed {job.attempts} times over {policy.window_s:.0f} s; last: {error}"
        await _give_up(job, outbox, dead_letters, reason)
        return 0
    await outbox.save(job, due=now + policy.delay(job.attempts, rng))
    log.info("webhook attempt failed; retrying", extra={"job_id": job.job_id, "attempt": job.attempts, "error": error})
    return 0


@dataclass
class WebhookSender:
    """`send_due` over one HTTP client for the service's life."""

    outbox: Outbox
    client: httpx.AsyncClient
    clock: Clock
    policy: RetryPolicy
    dead_letters: DeadLetters
    targets: WebhookTargetPolicy

    async def send_due(self) -> int:
        return await send_due(self.outbox, self.client, self.clock, self.policy, self.dead_letters, self.targets)
