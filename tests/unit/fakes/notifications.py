"""In-memory stand-ins for notifications' ports (`services/notifications/service_layer/ports.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.notifications.domain.webhook_job import WebhookJob
from shared.contract.events import ConsentRecorded, PartnerSubscription
from shared.contract.events.credential import CredentialChange
from shared.contract.topics import partner_candidates_topic


@dataclass
class FakePoolSubscriptions:
    subscriptions: dict[str, PartnerSubscription] = field(default_factory=dict)
    anonymous_ids: dict[str, set[str]] = field(default_factory=dict)

    async def upsert(self, subscription: PartnerSubscription) -> None:
        self.subscriptions[subscription.subscription_id] = subscription

    async def active(self) -> list[PartnerSubscription]:
        return sorted(
            (s for s in self.subscriptions.values() if s.active), key=lambda s: (s.partner_id, s.subscription_id)
        )

    async def count_anonymous(self, subscription_id: str, referral_id: str) -> None:
        self.anonymous_ids.setdefault(subscription_id, set()).add(referral_id)

    async def anonymous(self, subscription_id: str) -> int:
        return len(self.anonymous_ids.get(subscription_id, set()))


@dataclass
class FakeDeliveries:
    delivered: dict[tuple[str, str], str] = field(default_factory=dict)

    async def was_delivered(self, partner_id: str, referral_id: str) -> bool:
        return (partner_id, referral_id) in self.delivered

    async def record_delivery(self, partner_id: str, referral_id: str, entry_id: str) -> None:
        self.delivered[(partner_id, referral_id)] = entry_id

    async def delivered_to(self, referral_id: str) -> set[str]:
        return {partner for partner, referral in self.delivered if referral == referral_id}


@dataclass
class FakeConsents:
    records: dict[str, ConsentRecorded] = field(default_factory=dict)

    async def keep(self, record: ConsentRecorded) -> None:
        current = self.records.get(record.beneficiary_id)
        if current is None or current.version < record.version:
            self.records[record.beneficiary_id] = record

    async def get(self, beneficiary_id: str) -> ConsentRecorded | None:
        return self.records.get(beneficiary_id)


@dataclass
class FakeReferrals:
    of: dict[str, set[tuple[str, str, str]]] = field(default_factory=dict)

    async def remember(self, beneficiary_id: str, referral_id: str, owner: str, programme: str) -> None:
        self.of.setdefault(beneficiary_id, set()).add((referral_id, owner, programme))

    async def of_beneficiary(self, beneficiary_id: str) -> list[tuple[str, str, str]]:
        return sorted(self.of.get(beneficiary_id, set()))


@dataclass
class FakeOutbox:
    jobs: dict[str, WebhookJob] = field(default_factory=dict)
    due: dict[str, datetime] = field(default_factory=dict)

    async def enqueue(self, job: WebhookJob, due: datetime) -> bool:
        if job.job_id in self.jobs:
            return False
        self.jobs[job.job_id] = job
        self.due[job.job_id] = due
        return True

    async def claim_due(self, now: datetime, limit: int = 20) -> list[WebhookJob]:
        ready = sorted((at, job_id) for job_id, at in self.due.items() if at <= now)[:limit]
        for _, job_id in ready:
            del self.due[job_id]
        return [self.jobs[job_id] for _, job_id in ready]

    async def save(self, job: WebhookJob, due: datetime | None = None) -> None:
        self.jobs[job.job_id] = job
        if due is not None:
            self.due[job.job_id] = due

    async def get(self, job_id: str) -> WebhookJob | None:
        return self.jobs.get(job_id)

    async def log_of(self, partner_id: str) -> list[WebhookJob]:
        return sorted((j for j in self.jobs.values() if j.partner_id == partner_id), key=lambda j: j.created_at)


class FakeTopics:
    async def topic_for(self, partner_id: str) -> str:
        return partner_candidates_topic(partner_id).name


@dataclass
class FakeKeyDigests:
    keys: dict[str, dict[str, str | None]] = field(default_factory=dict)

    async def restore(self, change: CredentialChange) -> None:
        if change.record is None:
            self.keys.pop(change.id, None)
        else:
            self.keys[change.id] = dict(change.record)


class FakeWebhookSending:
    """Counts the rounds the schedule asked for (the sending itself is tested on `send_due`)."""

    def __init__(self) -> None:
        self.rounds = 0

    async def send_due(self) -> int:
        self.rounds += 1
        return 0
