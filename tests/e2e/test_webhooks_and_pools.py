"""Signed webhooks to a real receiver with injected failures; partner pools by subscription and consent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from passerelle.stack import ServiceStack
from shared.contract.events import PartnerCandidateEntry
from shared.contract.topics import OPS_DLQ, partner_candidates_topic
from tests.e2e.steps import open_opening, referrals_of
from tests.e2e.webhook_receiver import WebhookReceiver
from tests.factories import signing_body
from tests.support import collect_records, eventually, header, random_ref


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.stop()


async def _subscribe(api: httpx.AsyncClient, partner: str, **body: Any) -> dict[str, Any]:
    response = await api.post(f"/v1/partners/{partner}/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _deliveries(stack: ServiceStack, api: httpx.AsyncClient, partner: str) -> list[dict[str, Any]]:
    headers = {"Authorization": await api.auth._partner(partner)}  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=stack.url("notifications"), headers=headers, timeout=10) as client:
        response = await client.get(f"/v1/partners/{partner}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json())


async def _until_notifications_knows(api: httpx.AsyncClient, stack: ServiceStack, partner: str, sid: str) -> None:
    """The subscription travels on partner.subscription.v1; wait until notifications lists it."""
    headers = {"Authorization": await api.auth._partner(partner)}  # type: ignore[union-attr]

    async def listed() -> bool:
        async with httpx.AsyncClient(base_url=stack.url("notifications"), headers=headers) as client:
            return sid in (await client.get(f"/v1/partners/{partner}/pool/anonymous-counts")).json()

    await eventually(listed, what="the subscription in notifications")


async def _referral_with_webhook(
    api: httpx.AsyncClient, stack: ServiceStack, receiver: WebhookReceiver, department: str, *, start: bool = True
) -> tuple[str, dict[str, Any]]:
    partner = random_ref("hook")[:16].lower()
    await open_opening(api, stack, department=department, partner_id=partner)
    # Filtered on its own département, so other tests' candidates do not reach this receiver as pool entries.
    subscription = await _subscribe(
        api, partner, kafka=True, webhook_url=receiver.url, filters={"departments": [department]}
    )
    receiver.secret = subscription["webhook_secret"]
    if start:
        receiver.start()

    await _until_notifications_knows(api, stack, partner, subscription["subscription_id"])
    body = signing_body(department=department, birth_date="2005-01-01")
    await api.post("/v1/cir-signings", json=body)
    [referral] = await referrals_of(api, body["beneficiary_id"])
    return partner, referral


async def test_a_webhook_survives_500s_and_a_timeout_and_is_delivered_once_signed(
    api: httpx.AsyncClient, stack: ServiceStack, receiver: WebhookReceiver
) -> None:
    receiver.script = ["500", "timeout", "500"]
    partner, referral = await _referral_with_webhook(api, stack, receiver, "15")

    async def delivered() -> list[Any] | None:
        return receiver.delivered() or None

    [delivery] = await eventually(delivered, what="the webhook after three failures")
    assert delivery.body["referral_id"] == referral["referral_id"] and delivery.signature_valid
    assert len(receiver.attempts) == 4 and {a.idempotency_key for a in receiver.attempts} == {delivery.idempotency_key}
    [log] = await _deliveries(stack, api, partner)
    assert (log["status"], log["attempts"], log["referral_id"]) == ("delivered", 4, referral["referral_id"])
    PartnerCandidateEntry.model_validate(delivery.body)


async def test_a_receiver_down_for_a_while_still_gets_the_delivery_once(
    api: httpx.AsyncClient, stack: ServiceStack, receiver: WebhookReceiver
) -> None:
    partner, referral = await _referral_with_webhook(api, stack, receiver, "23", start=False)

    async def tried_while_down() -> bool:
        logs = await _deliveries(stack, api, partner)
        return bool(logs) and logs[0]["attempts"] >= 2

    await eventually(tried_while_down, what="failed attempts while the receiver is down")
    receiver.start()

    async def delivered() -> list[Any] | None:
        return receiver.delivered() or None

    [delivery] = await eventually(delivered, what="the delivery once the receiver is up")
    assert delivery.body["referral_id"] == referral["referral_id"]
    assert len(receiver.attempts) == 1  # nothing reached it while it was down; one attempt since


async def test_a_webhook_that_never_succeeds_is_dead_lettered_and_can_be_redelivered(
    api: httpx.AsyncClient, stack: ServiceStack, receiver: WebhookReceiver
) -> None:
    receiver.script = ["500"] * 100
    partner, referral = await _referral_with_webhook(api, stack, receiver, "19")

    dead_letters = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers, OPS_DLQ.name,
        lambda r: r.key == referral["referral_id"].encode() and receiver.url in (header(r, "dlq_error") or ""),
        want=1, timeout_s=30,
    )  # fmt: skip
    assert len(dead_letters) == 1, [(header(d, "dlq_service"), header(d, "dlq_error")) for d in dead_letters]
    dead = dead_letters[0]
    assert "webhook" in (header(dead, "dlq_error") or "") and "HTTP 500" in (header(dead, "dlq_error") or "")
    [log] = await _deliveries(stack, api, partner)
    assert log["status"] == "dead" and log["attempts"] >= 3

    receiver.script.clear()
    headers = {"Authorization": await api.auth._partner(partner)}  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=stack.url("notifications"), headers=headers) as client:
        again = await client.post(f"/v1/partners/{partner}/deliveries/{log['job_id']}/redeliver")
    assert again.status_code == 202

    async def delivered() -> list[Any] | None:
        return receiver.delivered() or None

    await eventually(delivered, what="the re-delivery")
    assert (await _deliveries(stack, api, partner))[0]["status"] == "delivered"


async def test_a_matching_subscription_gets_consenting_candidates_and_only_counts_of_the_others(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    owner, watcher = random_ref("own")[:16].lower(), random_ref("pool")[:16].lower()
    await open_opening(api, stack, department="48", partner_id=owner)
    await api.post("/v1/admin/partners", json={"partner_id": watcher, "name": watcher})
    subscription = await _subscribe(api, watcher, filters={"departments": ["48"], "age_bands": ["18-25"]})
    await _until_notifications_knows(api, stack, watcher, subscription["subscription_id"])
    consenting = signing_body(department="48", birth_date="2005-01-01", consent_to_share=True)
    refusing = signing_body(department="48", birth_date="2005-01-01", consent_to_share=False)
    await api.post("/v1/cir-signings", json=consenting)
    await api.post("/v1/cir-signings", json=refusing)
    [shown] = await referrals_of(api, consenting["beneficiary_id"])
    [hidden] = await referrals_of(api, refusing["beneficiary_id"])

    entries = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers, partner_candidates_topic(watcher).name,
        lambda r: True, want=1, settle_s=3,
    )  # fmt: skip

    assert [PartnerCandidateEntry.model_validate_json(r.value).referral_id for r in entries] == [shown["referral_id"]]
    assert PartnerCandidateEntry.model_validate_json(entries[0].value).entry_kind == "pool"
    headers = {"Authorization": await api.auth._partner(watcher)}  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=stack.url("notifications"), headers=headers) as client:
        counts = (await client.get(f"/v1/partners/{watcher}/pool/anonymous-counts")).json()
    assert counts == {subscription["subscription_id"]: 1}
    assert hidden["partner_id"] == owner


async def test_a_withdrawn_consent_deletes_the_pool_entries_and_the_referral_goes_on(
    api: httpx.AsyncClient, stack: ServiceStack, receiver: WebhookReceiver
) -> None:
    department, bootstrap = "43", stack.infrastructure.kafka_bootstrap_servers
    owner, pool = random_ref("own")[:16].lower(), random_ref("pool")[:16].lower()
    await open_opening(api, stack, department=department, partner_id=owner)
    subscription = await _subscribe(
        api, pool, kafka=True, webhook_url=receiver.url, filters={"departments": [department]}
    )
    receiver.secret = subscription["webhook_secret"]
    receiver.start()
    await _until_notifications_knows(api, stack, pool, subscription["subscription_id"])
    body = signing_body(department=department, birth_date="2004-02-02", consent_to_share=True)
    await api.post("/v1/cir-signings", json=body)
    [referral] = await referrals_of(api, body["beneficiary_id"])
    key = referral["referral_id"].encode()
    [entry] = await collect_records(bootstrap, partner_candidates_topic(pool).name, lambda r: r.key == key, want=1)
    assert PartnerCandidateEntry.model_validate_json(entry.value).entry_kind == "pool"

    async def delivered(kind: str) -> list[Any] | None:
        return [d for d in receiver.delivered() if d.body.get("type", "candidate") == kind] or None

    await eventually(lambda: delivered("candidate"), what="the pool entry by webhook")

    change = {"contact_with_accepting_partner": True, "candidate_pools": False, "channel": "phone",
              "note": "ne souhaite plus figurer dans les viviers"}  # fmt: skip
    answer = await api.put(f"/v1/beneficiaries/{body['beneficiary_id']}/consent", json=change)

    assert answer.status_code == 200, answer.text
    consent = answer.json()
    assert [v["version"] for v in consent["history"]] == [1, 2] and consent["current"]["candidate_pools"] is False
    records = await collect_records(bootstrap, partner_candidates_topic(pool).name, lambda r: r.key == key, want=2)
    assert records[-1].value is None  # the tombstone: delete this entry
    [withdrawn] = await eventually(lambda: delivered("candidate.withdrawn"), what="the withdrawal by webhook")
    assert withdrawn.signature_valid and withdrawn.body["referral_id"] == referral["referral_id"]
    owned = await collect_records(
        bootstrap, partner_candidates_topic(owner).name, lambda r: r.key == key, want=1, settle_s=2.0
    )
    assert [r.value is not None for r in owned] == [True]  # the proposed partner keeps its referral
    [still] = await referrals_of(api, body["beneficiary_id"])
    assert still["status"] == "sent"
    refused = await api.put(f"/v1/beneficiaries/{body['beneficiary_id']}/consent", json=change | {"channel": "pigeon"})
    assert refused.status_code == 422 and "channel" in refused.text
