"""A new referral reaches its partner (its own topic, and its webhook if it has one) and the pools of
other partners whose subscriptions it fits — once per partner, channel and referral."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from services.notifications.domain.candidate_entry import candidate_entry_for, entry_event_id
from services.notifications.domain.pool_filters import fits
from services.notifications.domain.webhook_job import WebhookJob
from services.notifications.service_layer.ports import Consents, Deliveries, Outbox, PoolSubscriptions, Topics
from shared.contract.events import PartnerCandidateEntry, PartnerSubscription, ReferralEvent
from shared.contract.events.consent import pools_allowed_by
from shared.messaging.projections import Publisher

JOB_NAMESPACE = uuid.UUID("5e0c2f1a-8b7d-4c3e-9f6a-1d2b3c4d5e6f")
Clock = Callable[[], datetime]


def webhook_job_id(partner_id: str, referral_id: str) -> str:
    return str(uuid.uuid5(JOB_NAMESPACE, f"{partner_id}:{referral_id}"))


async def _to_topic(
    partner_id: str, entry: PartnerCandidateEntry, topics: Topics, log: Deliveries, publisher: Publisher
) -> bool:
    """Publish the minimised entry on the partner's `partner.<id>.candidates.v1`, once. The publisher
    projects the delivery into the log after publishing: a crash in between re-sends the entry with the
    same ce_id, never loses it."""
    if await log.was_delivered(partner_id, entry.referral_id):
        return False
    entry_id = entry_event_id(partner_id, entry.referral_id)
    topic = await topics.topic_for(partner_id)
    await publisher.publish(entry, key=entry.referral_id, event_id=entry_id, topic=topic)
    return True


async def fan_out(
    event: ReferralEvent,
    subscriptions: PoolSubscriptions,
    topics: Topics,
    log: Deliveries,
    publisher: Publisher,
    outbox: Outbox,
    clock: Clock,
    consents: Consents,
) -> int:
    """Everything a new referral triggers; returns the number of deliveries scheduled or made. (Candidates
    without consent are only counted: a projection, see projections.py.) Pools follow the person's consent
    now, which may have been withdrawn since the referral was made."""
    entry = candidate_entry_for(event)
    if entry is None:
        return 0
    consent = await consents.get(event.beneficiary_id)
    pools_allowed = pools_allowed_by(consent, event.programme, event.candidate.consented)
    sent = int(await _to_topic(event.partner_id, entry, topics, log, publisher))
    webhooks_for: set[str] = set()
    pooled_for: set[str] = set()
    for subscription in await subscriptions.active():
        owner = subscription.partner_id == event.partner_id
        if owner:
            sent += await _webhook(subscription, entry, outbox, clock, webhooks_for)
            continue
        if not fits(subscription.filters, event) or not pools_allowed:
            continue
        pool_entry = entry.model_copy(update={"entry_kind": "pool"})
        if subscription.kafka and subscription.partner_id not in pooled_for:
            pooled_for.add(subscription.partner_id)
            sent += int(await _to_topic(subscription.partner_id, pool_entry, topics, log, publisher))
        sent += await _webhook(subscription, pool_entry, outbox, clock, webhooks_for)
    return sent


async def _webhook(
    subscription: PartnerSubscription,
    entry: PartnerCandidateEntry,
    outbox: Outbox,
    clock: Clock,
    already: set[str],
) -> int:
    """One webhook job per partner and referral, however many of its subscriptions match."""
    if subscription.webhook is None or subscription.partner_id in already:
        return 0
    already.add(subscription.partner_id)
    now = clock()
    job = WebhookJob(
        job_id=webhook_job_id(subscription.partner_id, entry.referral_id),
        partner_id=subscription.partner_id,
        referral_id=entry.referral_id,
        url=str(subscription.webhook.url),
        secret=subscription.webhook.secret,
        body=entry.model_dump_json(),
        created_at=now,
    )
    return int(await outbox.enqueue(job, due=now))
