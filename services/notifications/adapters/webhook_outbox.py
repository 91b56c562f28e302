"""Webhook deliveries waiting, retried or done: jobs in Redis with a due-time schedule."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from services.notifications.domain.webhook_job import WebhookJob

__all__ = ["WebhookJob", "WebhookOutbox"]

PREFIX = "notifications:webhooks"


class WebhookOutbox:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def enqueue(self, job: WebhookJob, due: datetime) -> bool:
        """Add a job once (False when this job id exists already) and schedule it."""
        created = await self._redis.hsetnx(f"{PREFIX}:jobs", job.job_id, job.model_dump_json())
        if created:
            await self._redis.zadd(f"{PREFIX}:due", {job.job_id: due.timestamp()})
            await self._redis.rpush(f"{PREFIX}:log:{job.partner_id}", job.job_id)
        return bool(created)

    async def claim_due(self, now: datetime, limit: int = 20) -> list[WebhookJob]:
        """Jobs due now; each is claimed by exactly one sender (ZREM decides)."""
        claimed = []
        due = await self._redis.zrangebyscore(f"{PREFIX}:due", "-inf", now.timestamp(), start=0, num=limit)
        for job_id in (str(j) for j in due):
            if await self._redis.zrem(f"{PREFIX}:due", job_id):
                job = await self.get(str(job_id))
                if job is not None:
                    claimed.append(job)
        return claimed

    async def save(self, job: WebhookJob, due: datetime | None = None) -> None:
        await self._redis.hset(f"{PREFIX}:jobs", job.job_id, job.model_dump_json())
        if due is not None:
            await self._redis.zadd(f"{PREFIX}:due", {job.job_id: due.timestamp()})

    async def get(self, job_id: str) -> WebhookJob | None:
        raw = await self._redis.hget(f"{PREFIX}:jobs", job_id)
        return WebhookJob.model_validate_json(raw) if raw else None

    async def log_of(self, partner_id: str) -> list[WebhookJob]:
        ids = await self._redis.lrange(f"{PREFIX}:log:{partner_id}", 0, -1)
        jobs = [await self.get(str(i)) for i in ids]
        return [j for j in jobs if j is not None]
