"""On a real Redis: a failed publish leaves nothing behind, keys expire by the injected clock, and a webhook
whose name now points inside the platform is dead-lettered without a request being sent."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from redis.asyncio import Redis

from services.notifications.adapters.webhook_outbox import WebhookJob, WebhookOutbox
from services.notifications.adapters.webhook_sender import RetryPolicy, send_due
from services.referrals.adapters.personal_keys import PersonalKeyStore
from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.adapters.review_flags import ReviewFlags
from services.referrals.adapters.store import ReferralStore
from services.referrals.adapters.subscriptions import Subscriptions
from services.referrals.config import DEVELOPMENT_MASTER_KEY
from services.referrals.domain.sealing import MasterKey
from services.referrals.service_layer import subscriptions
from services.referrals.service_layer.handlers import Publishers, create_opening
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.projections import ReferralsProjections
from shared.access import Credentials, KeyExpired
from shared.contract.events import PoolFilters
from shared.contract.topics import PARTNER_SUBSCRIPTION, PROGRAMME_OPENING
from shared.messaging.projections import ProjectingPublisher
from shared.principals import Role
from shared.webhooks.targets import IpAddress, WebhookTargetPolicy
from tests.factories import epide_opening
from tests.support import random_ref

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class RefusingPublisher:
    topic = "any.v1"

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.attempts = 0

    async def publish(self, event: Any, key: str, **kwargs: Any) -> None:
        self.attempts += 1
        raise self.error

    async def tombstone(self, key: str, **kwargs: Any) -> None:
        self.attempts += 1
        raise self.error


def projected(publisher: RefusingPublisher, redis: Redis, topic: str) -> ProjectingPublisher:
    """As referrals wires its publishers: the log, then referrals' own projection of the event."""
    publisher.topic = topic
    keyring = Keyring(MasterKey.parse(DEVELOPMENT_MASTER_KEY), PersonalKeyStore(redis))
    projections = ReferralsProjections(
        ReferralStore(redis), ReferralViews(redis), ReviewFlags(redis), Credentials(redis), Subscriptions(redis),
        keyring,
    )  # fmt: skip
    return ProjectingPublisher(publisher, projections.table(), lambda: NOW)


class CapturedDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, str]] = []
        self.meter = None

    async def send(self, record: Any, reason: str) -> None:
        self.sent.append((record, reason))


@pytest.mark.parametrize("error", [MessageSizeTooLargeError(), KafkaConnectionError()], ids=type)
async def test_an_opening_the_bus_refuses_is_not_kept(redis: Redis, error: Exception) -> None:
    opening = epide_opening()
    publisher = RefusingPublisher(error)
    publishers = Publishers(*([projected(publisher, redis, PROGRAMME_OPENING.name)] * len(fields(Publishers))))

    with pytest.raises(type(error)):
        await create_opening(opening, ReferralStore(redis), publishers)

    assert publisher.attempts == 1
    assert await ReferralStore(redis).get_opening(opening.opening_id) is None


async def test_a_subscription_the_bus_refuses_is_not_kept(redis: Redis) -> None:
    partner = random_ref("p")
    kept = Subscriptions(redis)

    with pytest.raises(MessageSizeTooLargeError):
        await subscriptions.subscribe(
            partner, PoolFilters(), True, None,
            projected(RefusingPublisher(MessageSizeTooLargeError()), redis, PARTNER_SUBSCRIPTION.name),
            WebhookTargetPolicy(), lambda: NOW,
        )  # fmt: skip

    assert await kept.of(partner) == []


async def test_a_key_expires_when_the_clock_says_so(redis: Redis) -> None:
    now = [NOW]
    credentials = Credentials(redis, clock=lambda: now[0])
    key = await credentials.issue_key(Role.AUDITOR, None, NOW, timedelta(days=1))

    principal = await credentials.authenticate(key.value)
    now[0] = NOW + timedelta(days=1) - timedelta(seconds=1)
    still = await credentials.authenticate(key.value)
    now[0] = NOW + timedelta(days=1)

    assert principal is not None and still is not None and key.expires_at == NOW + timedelta(days=1)
    with pytest.raises(KeyExpired) as expired:
        await credentials.authenticate(key.value)
    assert expired.value.expired_at == NOW + timedelta(days=1)


async def test_a_webhook_name_re_pointed_inside_the_platform_gets_no_request(private_redis: Redis) -> None:
    outbox = WebhookOutbox(private_redis)
    job = WebhookJob(
        job_id=random_ref("job"), partner_id="p", referral_id="r", url="https://hooks.partner.example/in",
        secret="s" * 32, body="{}", created_at=NOW,
    )  # fmt: skip
    await outbox.enqueue(job, due=NOW)
    sent: list[httpx.Request] = []
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)))

    async def now_internal(host: str, port: int) -> list[IpAddress]:
        import ipaddress

        return [ipaddress.ip_address("169.254.169.254")]

    dead = CapturedDeadLetters()
    delivered = await send_due(
        outbox, client, lambda: NOW, RetryPolicy(), dead, WebhookTargetPolicy(resolver=now_internal),  # type: ignore[arg-type]
        random.Random(1),
    )  # fmt: skip

    assert delivered == 0 and sent == []
    stored = await outbox.get(job.job_id)
    assert stored is not None and stored.status == "dead"
    [(_, reason)] = dead.sent
    assert "169.254.169.254" in reason and "refused before sending" in reason
