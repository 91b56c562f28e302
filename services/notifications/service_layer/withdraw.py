"""A newcomer withdraws (or narrows) their consent to candidate pools: every partner that holds a pool
entry of theirs it may no longer hold is told to delete it, at once — on Kafka a tombstone (a null value
under the entry's key, the referral id) on its topic, by webhook a `candidate.withdrawn` delivery — and a
pool webhook not yet delivered is cancelled. The entry of the partner the person was referred to stays:
that referral goes on."""

from __future__ import annotations

import json
import uuid

from services.notifications.domain.webhook_job import WebhookJob
from services.notifications.service_layer.deliver import JOB_NAMESPACE, Clock, webhook_job_id
from services.notifications.service_layer.ports import (
    Deliveries,
    Outbox,
    PoolSubscriptions,
    Referrals,
    Tombstones,
    Topics,
)
from shared.contract.events import ConsentRecorded

WITHDRAWN = "candidate.withdrawn"


def withdrawal_job_id(partner_id: str, referral_id: str) -> str:
    return str(uuid.uuid5(JOB_NAMESPACE, f"{partner_id}:{referral_id}:withdrawn"))


async def withdraw_from_pools(
    record: ConsentRecorded,
    referrals: Referrals,
    deliveries: Deliveries,
    topics: Topics,
    entries: Tombstones,
    subscriptions: PoolSubscriptions,
    outbox: Outbox,
    clock: Clock,
) -> int:
    """Returns how many deletions were sent (tombstones and webhook deliveries)."""
    sent = 0
    webhooks = {s.partner_id: s for s in await subscriptions.active() if s.webhook is not None}
    for referral_id, owner, programme in await referrals.of_beneficiary(record.beneficiary_id):
        if record.allows_pool(programme):
            continue
        for partner_id in sorted(await deliveries.delivered_to(referral_id) - {owner}):
            await entries.tombstone(referral_id, topic=await topics.topic_for(partner_id))
            sent += 1
        for partner_id, subscription in webhooks.items():
            if partner_id == owner:
                continue
            pool_job = await outbox.get(webhook_job_id(partner_id, referral_id))
            if pool_job is None:
                continue
            if pool_job.status == "pending":  # not delivered yet: it never will be
                await outbox.save(pool_job.model_copy(update={"status": "cancelled"}))
            assert subscription.webhook is not None
            now = clock()
            body = {"type": WITHDRAWN, "referral_id": referral_id, "partner_id": partner_id,
                    "withdrawn_at": record.recorded_at.isoformat()}  # fmt: skip
            job = WebhookJob(
                job_id=withdrawal_job_id(partner_id, referral_id), partner_id=partner_id, referral_id=referral_id,
                url=str(subscription.webhook.url), secret=subscription.webhook.secret, body=json.dumps(body),
                created_at=now,
            )  # fmt: skip
            sent += int(await outbox.enqueue(job, due=now))
    return sent
