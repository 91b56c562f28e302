"""`passerelle replay`: rebuild the referral views from `referral.event.v1` (the log is the record)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from services.referrals.adapters.referral_views import OutOfOrder, ReferralViews
from shared.consuming import PoisonMessage, decode_event
from shared.events import ReferralEvent
from shared.redis_factory import make_redis
from shared.topics import REFERRAL_EVENT

MAX_EVENT_BYTES = 256 * 1024


@dataclass(frozen=True)
class ReplayReport:
    read: int
    applied: int
    skipped: int
    views: int


async def replay_referral_views(bootstrap_servers: str, redis_url: str, idle_s: float = 3.0) -> ReplayReport:
    """Wipe the views and apply the whole topic again; stops after `idle_s` without a new event.

    Run it while referrals is stopped or quiet: an event arriving between the wipe and the replay of
    its predecessors would be refused as out of order (and dead-lettered by the live consumer)."""
    redis = make_redis(redis_url)
    views = ReferralViews(redis)
    consumer = AIOKafkaConsumer(
        REFERRAL_EVENT.name,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    read = applied = skipped = 0
    try:
        await views.wipe()
        await consumer.start()
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle_s:
            batches = await consumer.getmany(timeout_ms=300)
            records = [r for rs in batches.values() for r in rs]
            if records:
                quiet_since = time.monotonic()
            for record in records:
                read += 1
                try:
                    event, _ = decode_event(ReferralEvent, record.value or b"", dict(record.headers), MAX_EVENT_BYTES)
                    applied += int(await views.apply(event))
                except (PoisonMessage, OutOfOrder):
                    skipped += 1
        return ReplayReport(read, applied, skipped, len(await views.snapshot()))
    finally:
        await consumer.stop()
        await redis.aclose()
