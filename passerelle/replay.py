"""`passerelle replay`: rebuild the referral views from `referral.event.v1` (the log is the record)."""

from __future__ import annotations

from dataclasses import dataclass

from services.referrals.adapters.referral_views import OutOfOrder, ReferralViews
from shared.consuming import PoisonMessage, decode_event
from shared.events import ReferralEvent
from shared.redis_factory import make_redis
from shared.topic_reading import Progress, records_to_end
from shared.topics import REFERRAL_EVENT

MAX_EVENT_BYTES = 256 * 1024


@dataclass(frozen=True)
class ReplayReport:
    read: int
    applied: int
    skipped: int
    views: int


async def replay_referral_views(
    bootstrap_servers: str, redis_url: str, progress: Progress | None = None
) -> ReplayReport:
    """Wipe the views and apply the topic again, up to the end offsets it had when the replay began.

    Run it while referrals is stopped or quiet: an event arriving between the wipe and the replay of
    its predecessors would be refused as out of order (and dead-lettered by the live consumer)."""
    redis = make_redis(redis_url)
    views = ReferralViews(redis)
    read = applied = skipped = 0
    try:
        await views.wipe()
        async for record in records_to_end(bootstrap_servers, REFERRAL_EVENT.name, progress):
            read += 1
            try:
                event, _ = decode_event(ReferralEvent, record.value or b"", dict(record.headers), MAX_EVENT_BYTES)
                applied += int(await views.apply(event))
            except (PoisonMessage, OutOfOrder):
                skipped += 1
        return ReplayReport(read, applied, skipped, len(await views.snapshot()))
    finally:
        await redis.aclose()
