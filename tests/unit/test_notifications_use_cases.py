"""Notifications' use cases through its own wiring (projection table, projecting publisher, consumed-topic
routes) over in-memory fakes: one entry per partner and referral, pools by consent, webhook jobs once,
and key digests only."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook

from services.notifications.adapters.webhook_sender import RetryPolicy, send_due
from services.notifications.domain.signature import HEADER, IDEMPOTENCY_HEADER
from services.referrals.domain.referral import candidate_summary, referral_id_for
from shared.contract.events import (
    ConsentChannel,
    ConsentRecorded,
    PartnerCandidateEntry,
    PartnerSubscription,
    PoolFilters,
    ReferralEvent,
    WebhookChannel,
)
from shared.contract.events.credential import CredentialChange
from shared.contract.topics import partner_candidates_topic
from shared.contract.vocabulary import ReferralStatus
from shared.webhooks.secrets import new_webhook_secret
from shared.webhooks.targets import WebhookTargetPolicy
from tests.factories import epide_opening, profile
from tests.support import random_ref
from tests.unit.fakes.harness import NOW, NotificationsHarness


def new_referral(
    consented: bool = True, partner: str = "epide", department: str = "67", status: ReferralStatus = ReferralStatus.SENT
) -> ReferralEvent:
    """A referral sent to its partner: created sent (no window to wait for), or sent when its window closed."""
    person = profile(consent_to_share=consented, department=department)
    opening = epide_opening(partner_id=partner, department=department)
    return ReferralEvent(
        referral_id=referral_id_for(person.beneficiary_id, opening.opening_id), beneficiary_id=person.beneficiary_id,
        opening_id=opening.opening_id, partner_id=partner, programme=opening.programme,
        status=status, occurred_at=NOW, candidate=candidate_summary(person, NOW.date()), actor="matching",
        sequence=1,
    )  # fmt: skip


def subscription(
    partner: str,
    *,
    webhook: bool = False,
    kafka: bool = True,
    url: str = "https://hooks.example.org/in",
    **filters: object,
) -> PartnerSubscription:
    channel = WebhookChannel(url=url, secret=new_webhook_secret()) if webhook else None  # type: ignore[arg-type]
    return PartnerSubscription(subscription_id=random_ref("sub"), partner_id=partner, kafka=kafka, webhook=channel,
                               filters=PoolFilters(**filters), changed_at=NOW)  # type: ignore[arg-type]  # fmt: skip


def entries(h: NotificationsHarness, partner: str) -> list[PartnerCandidateEntry]:
    return h.events(partner_candidates_topic(partner).name, PartnerCandidateEntry)


async def test_a_new_referral_reaches_its_partner_once_however_often_it_is_read() -> None:
    h = NotificationsHarness()
    referral = new_referral()

    await h.consume(referral)
    await h.consume(referral)

    [entry] = entries(h, "epide")
    assert entry.referral_id == referral.referral_id and entry.entry_kind == "referral"
    assert "beneficiary_id" not in entry.model_dump()
    assert await h.deliveries.was_delivered("epide", referral.referral_id)  # projected from the entry sent


async def test_a_referral_still_waiting_for_its_decision_window_reaches_nobody() -> None:
    h = NotificationsHarness()
    await h.consume(subscription("france-travail-67", departments=["67"], webhook=True))
    proposed = new_referral(status=ReferralStatus.PROPOSED)

    await h.consume(proposed)

    assert entries(h, "epide") == [] and entries(h, "france-travail-67") == []
    assert not await h.deliveries.was_delivered("epide", proposed.referral_id)
    sent = new_referral(status=ReferralStatus.SENT).model_copy(
        update={"referral_id": proposed.referral_id, "beneficiary_id": proposed.beneficiary_id,
                "candidate": proposed.candidate, "sequence": 2}
    )  # fmt: skip
    await h.consume(sent)
    assert [e.referral_id for e in entries(h, "epide")] == [proposed.referral_id]


async def test_a_fitting_pool_gets_the_consenting_and_only_counts_the_others_once_each() -> None:
    h = NotificationsHarness()
    watching = subscription("france-travail-67", departments=["67"])
    elsewhere = subscription("france-travail-13", departments=["13"])
    for s in (watching, elsewhere):
        await h.consume(s)
    shown, hidden = new_referral(consented=True), new_referral(consented=False)

    for referral in (shown, hidden, hidden):
        await h.consume(referral)

    assert [e.referral_id for e in entries(h, "france-travail-67")] == [shown.referral_id]
    assert entries(h, "france-travail-67")[0].entry_kind == "pool"
    assert entries(h, "france-travail-13") == []
    assert await h.subscriptions.anonymous(watching.subscription_id) == 1
    assert await h.subscriptions.anonymous(elsewhere.subscription_id) == 0


async def test_one_webhook_job_per_partner_and_referral_even_with_two_subscriptions() -> None:
    h = NotificationsHarness()
    for s in (subscription("epide", webhook=True), subscription("epide", webhook=True, departments=["67"])):
        await h.consume(s)
    referral = new_referral()

    await h.consume(referral)
    await h.consume(referral)

    [job] = h.outbox.jobs.values()
    assert job.partner_id == "epide" and job.referral_id == referral.referral_id
    assert [j.job_id for j in await h.outbox.claim_due(NOW)] == [job.job_id]


async def test_only_key_digests_are_kept_of_the_credential_log() -> None:
    h = NotificationsHarness()
    changes = [
        CredentialChange(kind="key", id="k1", record={"role": "partner", "partner_id": "epide", "digest": "ab"}),
        CredentialChange(kind="account", id="ana", record={"password_hash": "$argon2id$…"}),
        CredentialChange(kind="partner", id="epide", record={"name": "Epide", "email": "contact@epide.fr"}),
        CredentialChange(kind="key", id="k2", record={"role": "partner", "partner_id": "epide", "digest": "cd"}),
        CredentialChange(kind="key", id="k2", record=None),  # revoked
    ]
    for change in changes:
        await h.consume(change)

    assert h.keys.keys == {"k1": {"role": "partner", "partner_id": "epide", "digest": "ab"}}


async def every_kind_of_state(h: NotificationsHarness) -> None:
    await h.consume(subscription("france-travail-67", departments=["67"]))
    await h.consume(CredentialChange(kind="key", id="k1", record={"role": "partner", "digest": "ab"}))
    for consented in (True, False):
        await h.consume(new_referral(consented=consented))
    await h.consume(consent(new_referral().beneficiary_id, version=2, pools=False))


def consent(beneficiary_id: str, version: int, pools: bool, programmes: list[str] | None = None) -> ConsentRecorded:
    return ConsentRecorded(
        beneficiary_id=beneficiary_id, version=version, contact_with_accepting_partner=True, candidate_pools=pools,
        pool_programmes=programmes, recorded_at=NOW, recorded_by="auditor:test", channel=ConsentChannel.PHONE,
    )  # fmt: skip


async def test_a_withdrawal_deletes_every_pool_entry_and_leaves_the_referral_to_its_partner() -> None:
    h = NotificationsHarness()
    for s in (
        subscription("france-travail-67", departments=["67"]),
        subscription("ft-hooks", webhook=True, kafka=False),
    ):
        await h.consume(s)
    referral = new_referral()
    await h.consume(referral)
    [pool_job] = [j for j in h.outbox.jobs.values() if j.partner_id == "ft-hooks"]
    assert [e.referral_id for e in entries(h, "france-travail-67")] == [referral.referral_id]

    await h.consume(consent(referral.beneficiary_id, version=2, pools=False))
    await h.consume(consent(referral.beneficiary_id, version=2, pools=False))  # redelivered: harmless

    pool_topic = h.log.events(partner_candidates_topic("france-travail-67").name)
    tombstones = [r for r in pool_topic if r.value is None]
    assert tombstones and {r.key for r in tombstones} == {referral.referral_id.encode()}
    assert not any(r.value is None for r in h.log.events(partner_candidates_topic("epide").name))  # owner keeps it
    assert (await h.outbox.get(pool_job.job_id)).status == "cancelled"  # type: ignore[union-attr]
    [withdrawn] = [j for j in h.outbox.jobs.values() if j.job_id != pool_job.job_id and j.partner_id == "ft-hooks"]
    assert json.loads(withdrawn.body) | {"withdrawn_at": None} == {
        "type": "candidate.withdrawn", "referral_id": referral.referral_id, "partner_id": "ft-hooks",
        "withdrawn_at": None,
    }  # fmt: skip


async def test_after_a_withdrawal_a_new_referral_makes_no_pool_entry() -> None:
    h = NotificationsHarness()
    await h.consume(subscription("france-travail-67", departments=["67"]))
    first = new_referral()
    await h.consume(consent(first.beneficiary_id, version=2, pools=False))
    later = first.model_copy(update={"referral_id": random_ref("r"), "candidate": first.candidate})  # still consented

    await h.consume(later)

    assert entries(h, "france-travail-67") == []
    assert [e.referral_id for e in entries(h, "epide")] == [later.referral_id]  # the service goes on


async def test_a_consent_narrowed_to_one_programme_keeps_that_pool_only() -> None:
    h = NotificationsHarness()
    await h.consume(subscription("france-travail-67", departments=["67"]))
    referral = new_referral()
    await h.consume(referral)

    await h.consume(consent(referral.beneficiary_id, version=2, pools=True, programmes=[referral.programme]))
    assert not [r for r in h.log.events(partner_candidates_topic("france-travail-67").name) if r.value is None]
    await h.consume(consent(referral.beneficiary_id, version=3, pools=True, programmes=["HOPE"]))
    assert [r for r in h.log.events(partner_candidates_topic("france-travail-67").name) if r.value is None]


async def test_the_log_rebuilds_exactly_the_state_the_use_cases_left() -> None:
    h = NotificationsHarness()
    await every_kind_of_state(h)
    live = h.state()

    counts = await h.rebuilt()  # Redis lost

    assert h.state() == live
    assert all(counts[p.name] > 0 for p in h.table), counts


@pytest.mark.parametrize("missing", range(6))
async def test_a_rebuild_without_one_of_the_projections_is_not_the_same_state(missing: int) -> None:
    h = NotificationsHarness()
    await every_kind_of_state(h)
    live = h.state()

    name = await h.rebuilt_without(missing)

    assert h.state() != live, f"{name} is not needed to rebuild the state?"


class CapturedDeadLetters:
    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.meter = None

    async def send(self, record: object, reason: str) -> None:
        self.reasons.append(reason)


async def public(host: str, port: int) -> list[ipaddress.IPv4Address]:
    return [ipaddress.IPv4Address("93.184.216.34")]


async def send_until_settled(h: NotificationsHarness, answers: list[int]) -> tuple[list[httpx.Request], list[str]]:
    """Run the sender at each due time, the receiver answering `answers` in turn."""
    seen: list[httpx.Request] = []
    replies = iter(answers)

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(replies))

    client, dead = httpx.AsyncClient(transport=httpx.MockTransport(receive)), CapturedDeadLetters()
    policy = RetryPolicy(base_s=10, max_delay_s=25, window_s=60, jitter=0)
    while h.outbox.due:
        h.clock.at = min(h.outbox.due.values())
        await send_due(h.outbox, client, h.clock, policy, dead, WebhookTargetPolicy(resolver=public))  # type: ignore[arg-type]
    return seen, dead.reasons


async def test_a_webhook_is_signed_and_retried_until_the_partner_answers() -> None:
    h = NotificationsHarness()
    h.clock.at = datetime.now(UTC)  # the Standard Webhooks library checks the timestamp against real time
    subscribed = subscription("epide", webhook=True)
    await h.consume(subscribed)
    await h.consume(new_referral())
    started = h.clock.at

    seen, dead = await send_until_settled(h, [500, 200])

    [job] = h.outbox.jobs.values()
    assert job.status == "delivered" and job.attempts == 2 and dead == []
    assert job.delivered_at == started + timedelta(seconds=10)
    assert subscribed.webhook is not None
    official = Webhook(subscribed.webhook.secret)
    for request in seen:  # verified as a partner would, with the official library
        assert official.verify(request.content, dict(request.headers))["referral_id"] == job.referral_id
        assert request.headers["webhook-id"] == request.headers[IDEMPOTENCY_HEADER] == job.job_id
        assert request.headers[HEADER]  # the earlier signature, until 0.3


async def test_a_webhook_goes_to_the_address_that_was_checked_never_to_a_second_resolution() -> None:
    """Issue 30, class 6: a name checked as public must not be resolved again by the HTTP client, which a
    re-pointed name (DNS rebinding) would then send inside the platform. The delivery connects to the
    checked address, naming the host in Host (and in TLS's SNI, to verify its certificate)."""
    h = NotificationsHarness()
    await h.consume(subscription("epide", webhook=True, url="https://partner.example:8443/hooks"))
    await h.consume(new_referral())
    lookups: list[str] = []

    async def once_public(host: str, port: int) -> list[ipaddress.IPv4Address]:
        lookups.append(host)
        return [ipaddress.IPv4Address("93.184.216.34")]

    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = httpx.AsyncClient(transport=httpx.MockTransport(receive))
    policy = RetryPolicy(base_s=10, max_delay_s=25, window_s=60, jitter=0)
    targets = WebhookTargetPolicy(resolver=once_public)
    await send_due(h.outbox, client, h.clock, policy, CapturedDeadLetters(), targets)  # type: ignore[arg-type]

    [request] = seen
    assert lookups == ["partner.example"]
    assert (request.url.host, request.url.port, request.url.path) == ("93.184.216.34", 8443, "/hooks")
    assert request.headers["host"] == "partner.example:8443"
    assert request.extensions["sni_hostname"] == "partner.example"


async def test_a_webhook_that_keeps_failing_backs_off_and_is_dead_lettered_after_its_window() -> None:
    h = NotificationsHarness()
    await h.consume(subscription("epide", webhook=True))
    await h.consume(new_referral())
    started = h.clock.at

    seen, dead = await send_until_settled(h, [500] * 10)

    [job] = h.outbox.jobs.values()
    assert job.status == "dead" and job.attempts == len(seen) == 5  # at 0, 10, 30, 55 and 80 s
    assert h.clock.at == started + timedelta(seconds=80)
    assert len(dead) == 1 and "failed 5 times" in dead[0] and "HTTP 500" in dead[0]
