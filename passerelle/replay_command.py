"""`passerelle replay`: rebuild the referral views in Redis from `referral.event.v1`, through the same
projection the live consumer and the rebuild after a loss of Redis run."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.adapters.review_flags import ReviewFlags
from services.referrals.service_layer.projections import project_referral_event as project_referral_event_into
from shared.contract.events import ReferralEvent
from shared.contract.topics import REFERRAL_EVENT
from shared.messaging.projections import Context, EventLog, Projection, ProjectionTable, rebuild_from_log
from shared.messaging.topic_reading import Progress

MAX_EVENT_BYTES = 256 * 1024


@dataclass(frozen=True)
class ReplayReport:
    read: int
    applied: int
    skipped: int
    views: int


async def replay_referral_views(log: EventLog, redis: Redis, progress: Progress | None = None) -> ReplayReport:
    """Wipe the referral views and apply the topic again.

    Run it while referrals is stopped or quiet: an event arriving between the wipe and the replay of its
    predecessors would be refused as out of order (and dead-lettered by the live consumer)."""
    views, flags = ReferralViews(redis), ReviewFlags(redis)

    async def project_referral_event(event: ReferralEvent, context: Context) -> None:
        await project_referral_event_into(views, flags, event)

    await views.wipe()
    table = ProjectionTable([Projection(REFERRAL_EVENT.name, ReferralEvent, project_referral_event)])
    counts = await rebuild_from_log(log, table, MAX_EVENT_BYTES, progress)
    applied = counts["project_referral_event"]
    return ReplayReport(counts["read"], applied, counts.get("skipped", 0), len(await views.snapshot()))
