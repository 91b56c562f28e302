"""What a careless or hostile client could do to the running services, case by case: each test failed on the
code before it was fixed (lost events, half-written state, 503s inviting retries, implausible dates, SSRF,
keys that never expire, retries that could not be told from conflicts)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from passerelle.stack import ServiceStack
from shared.contract.cloudevents import new_attributes
from shared.contract.events import BeneficiaryProfile
from shared.contract.topics import BENEFICIARY_PROFILE, OPS_DLQ, partner_candidates_topic
from shared.messaging.dead_letters import DLQ_ERROR_HEADER, DLQ_ORIGINAL_PREFIX
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import epide_opening, profile, signing_body
from tests.support import collect_records, eventually, header, random_ref

MIB = 1024 * 1024


def _error_locations(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


# 1. An event whose header is not UTF-8 reached neither its handler nor the dead-letter topic.
async def test_a_valid_event_with_an_undecodable_header_is_dead_lettered_with_its_bytes(stack: ServiceStack) -> None:
    bootstrap = stack.infrastructure.kafka_bootstrap_servers
    event = profile()
    body = event.model_dump_json().encode()
    headers = [(k, v.encode()) for k, v in new_attributes(BeneficiaryProfile.EVENT_TYPE, "/e2e").as_headers().items()]
    headers.append(("traceparent", b"\xff\xfe\xfd"))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(BENEFICIARY_PROFILE.name, body, key=event.beneficiary_id.encode(), headers=headers)
    finally:
        await producer.stop()

    [dead] = await collect_records(bootstrap, OPS_DLQ.name, lambda r: r.key == event.beneficiary_id.encode(), want=1)

    assert "traceparent" in (header(dead, DLQ_ERROR_HEADER) or "")
    assert dead.value == body
    assert header(dead, DLQ_ORIGINAL_PREFIX + "traceparent") == "\\xff\\xfe\\xfd"  # the bytes, shown escaped
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", header(dead, "traceparent") or "")  # its own trace


# 2. Accepted with 202/201, then dead-lettered by the consumer for being over its size limit.
async def test_a_signing_too_large_for_its_event_is_refused_at_the_door(api: httpx.AsyncClient) -> None:
    huge_preferences = signing_body(preferences={"programmes": ["x" * 15_000] * 20})
    huge_veto = signing_body(preferences={"vetoes": ["v" * 200_000]})

    for body in (huge_preferences, huge_veto):
        response = await api.post("/v1/cir-signings", json=body)

        assert response.status_code == 422, response.text[:300]
        assert all(loc[:3] == ["body", "preferences", loc[2]] for loc in _error_locations(response))
        assert (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).status_code == 404


async def test_an_opening_too_large_for_its_event_is_refused_and_not_listed(api: httpx.AsyncClient) -> None:
    opening = epide_opening(department="05").model_dump(mode="json")
    opening["target_skills"] = ["s" * 80] * 4_250  # 340 KB

    response = await api.post("/v1/openings", json=opening)

    assert response.status_code == 422
    assert ["body", "target_skills"] in _error_locations(response)
    assert (await api.get(f"/v1/openings/{opening['opening_id']}")).status_code == 404


# 3. Bodies over the broker's limit got "503 retry" and left Redis ahead of the log.
async def test_a_body_over_the_limit_is_413_and_stores_nothing(api: httpx.AsyncClient) -> None:
    opening = epide_opening(department="05", title="t" * 200).model_dump(mode="json")
    opening["target_skills"] = ["s" * 80] * (5 * MIB // 84)
    partner = "careless-05"
    subscription = {"filters": {"skills": ["k" * 80] * (2 * MIB // 84)}, "kafka": True}
    listed_before = len((await api.get("/v1/openings")).json())

    opening_answer = await api.post("/v1/openings", json=opening)
    subscription_answer = await api.post(f"/v1/partners/{partner}/subscriptions", json=subscription)

    assert opening_answer.status_code == 413, opening_answer.text[:300]
    assert subscription_answer.status_code == 413, subscription_answer.text[:300]
    assert len(opening_answer.content) < 1_000
    assert len((await api.get("/v1/openings")).json()) == listed_before
    assert (await api.get(f"/v1/partners/{partner}/subscriptions")).json() == []


# 4. 422 answers repeated the input, personal data included, and no request size was refused.
async def test_errors_name_the_field_and_never_echo_the_value(api: httpx.AsyncClient) -> None:
    body = signing_body(department="999")
    body["contact"] = {"given_name": "Zoubida" * 20, "family_name": "Benali", "phone": "not a phone"}

    response = await api.post("/v1/cir-signings", json=body)

    assert response.status_code == 422
    assert "Zoubida" not in response.text and "not a phone" not in response.text and "999" not in response.text
    errors = response.json()["detail"]
    assert all("input" not in error for error in errors)
    assert {tuple(error["loc"]) for error in errors} == {
        ("body", "department"),
        ("body", "contact", "given_name"),
        ("body", "contact", "phone"),
    }


# 5. Implausible dates were accepted.
async def test_implausible_dates_are_refused_naming_the_field(api: httpx.AsyncClient) -> None:
    today = date.today()
    cases = {
        "birth_date": signing_body(birth_date="2030-01-01", cir_signed_on="2031-01-01"),
        "cir_signed_on": signing_body(cir_signed_on="2099-01-01"),
        "birth_date ": signing_body(birth_date="1800-01-01"),
        "birth_date  ": signing_body(birth_date=str(today - timedelta(days=365 * 10))),  # signed at 10
        "rsa_applied_on": signing_body(rsa_applicant=True, rsa_applied_on=str(today + timedelta(days=3))),
        "rsa_applied_on ": signing_body(rsa_applicant=False, rsa_applied_on=str(today)),  # no application
    }
    for field, body in cases.items():
        response = await api.post("/v1/cir-signings", json=body)

        assert response.status_code == 422, (field, response.text)
        assert ["body", field.strip()] in _error_locations(response), (field, response.text)


async def test_an_opening_whose_rules_contradict_themselves_is_refused(api: httpx.AsyncClient) -> None:
    opening = epide_opening(department="05").model_dump(mode="json")
    opening["eligibility"] = {"min_age": 30, "max_age": 20}
    french = epide_opening(department="05").model_dump(mode="json")
    french["eligibility"] = {"min_french": "B2", "max_french": "A1"}

    for body in (opening, french):
        response = await api.post("/v1/openings", json=body)

        assert response.status_code == 422, response.text
        assert any(loc[:2] == ["body", "eligibility"] for loc in _error_locations(response))


async def test_enrolment_before_the_cohort_starts_needs_the_partner_to_say_why(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    starts_on = date.today() + timedelta(days=30)
    await open_opening(api, stack, department="06", starts_on=starts_on)
    signing = signing_body(department="06")
    assert (await api.post("/v1/cir-signings", json=signing)).status_code == 202
    [referral] = await referrals_of(api, signing["beneficiary_id"])
    url = f"/v1/referrals/{referral['referral_id']}"
    assert (await api.post(f"{url}/accept")).status_code == 200

    too_soon = await api.post(f"{url}/enrol")
    no_reason = await api.post(f"{url}/enrol", json={"started_early": True})
    early = await api.post(f"{url}/enrol", json={"started_early": True, "note": "session avancée par le centre"})

    assert too_soon.status_code == 409 and too_soon.json()["current_status"] == "accepted"
    assert starts_on.isoformat() in too_soon.json()["detail"]
    assert no_reason.status_code == 422
    assert early.status_code == 200 and early.json()["status"] == "enrolled"


# 6. Webhook URLs could point at the platform itself or the cloud metadata service.
async def test_webhook_targets_inside_the_platform_are_refused(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    redis_port = stack.infrastructure.redis_url.rsplit(":", 1)[1].split("/")[0]
    partner = "careless-hooks"
    for url in (
        f"http://127.0.0.1:{redis_port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hooks",
        "http://[::1]:8080/",
        "http://localhost:6379/",
        "http://224.0.0.1/",
    ):
        response = await api.post(f"/v1/partners/{partner}/subscriptions", json={"webhook_url": url})

        assert response.status_code == 422, (url, response.text)
        assert ["body", "webhook_url"] in _error_locations(response)
    assert (await api.get(f"/v1/partners/{partner}/subscriptions")).json() == []


# 7. Keys never expired; a retried POST could not be told from a conflict; topic entries lacked what HTTP says.
async def test_a_key_carries_its_expiry(api: httpx.AsyncClient) -> None:
    default = await api.post("/v1/admin/auditor-keys")
    short = await api.post("/v1/admin/auditor-keys", json={"valid_days": 1})
    endless = await api.post("/v1/admin/auditor-keys", json={"valid_days": 0})

    assert default.status_code == 201 and short.status_code == 201
    issued = {
        name: date.fromisoformat(r.json()["expires_at"][:10]) for name, r in (("default", default), ("short", short))
    }
    assert issued["default"] - date.today() in (timedelta(days=365), timedelta(days=366))
    assert issued["short"] - date.today() in (timedelta(days=1), timedelta(days=2))
    assert endless.status_code == 422


async def test_a_retried_post_with_its_idempotency_key_gets_the_first_answer(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    await open_opening(api, stack, department="07")
    signing = signing_body(department="07")
    key = {"Idempotency-Key": random_ref("idem")}
    first_signing = await api.post("/v1/cir-signings", json=signing, headers=key)
    again_signing = await api.post("/v1/cir-signings", json=signing, headers=key)
    [referral] = await referrals_of(api, signing["beneficiary_id"])
    accept = f"/v1/referrals/{referral['referral_id']}/accept"
    accept_key = {"Idempotency-Key": random_ref("idem")}

    first = await api.post(accept, json={"note": "bienvenue"}, headers=accept_key)
    retried = await api.post(accept, json={"note": "bienvenue"}, headers=accept_key)
    other_body = await api.post(accept, json={"note": "autre chose"}, headers=accept_key)
    without_key = await api.post(accept, json={"note": "bienvenue"})

    assert first_signing.status_code == again_signing.status_code == 202
    assert first_signing.json() == again_signing.json()  # created: true both times, as first answered
    assert first.status_code == retried.status_code == 200
    assert first.json() == retried.json()
    assert other_body.status_code == 422
    assert without_key.status_code == 409
    history = (await api.get(f"/v1/referrals/{referral['referral_id']}")).json()["history"]
    assert [h["status"] for h in history] == ["sent", "accepted"]


async def test_a_partner_entry_says_what_http_says_score_and_deadline(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    opening = await open_opening(api, stack, department="08", seats=0)
    signing = signing_body(department="08")
    assert (await api.post("/v1/cir-signings", json=signing)).status_code == 202
    by_hand = await api.post(
        "/v1/referrals",
        json={
            "beneficiary_id": signing["beneficiary_id"],
            "opening_id": opening["opening_id"],
            "note": "vu en entretien",
        },
    )
    assert by_hand.status_code == 201, by_hand.text
    referral = by_hand.json()
    topic = partner_candidates_topic(opening["partner_id"]).name

    [entry] = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers, topic, lambda r: r.key == referral["referral_id"].encode(), want=1
    )

    body = json.loads(entry.value)
    assert referral["score"] is None and body["score"] is None
    assert body["respond_by"] is not None and body["respond_by"][:19] == referral["respond_by"][:19]

    async def listed() -> bool:
        own = await api.get(f"/v1/partners/{opening['partner_id']}/referrals")
        return any(r["referral_id"] == referral["referral_id"] for r in own.json())

    await eventually(listed, what="the referral in the partner's list")


# 12. (Issue 30, class 5) Anonymous requests wrote to Redis: every unauthenticated POST with an
# Idempotency-Key (a 404, a 405, a 422) was kept 24 h, ~2.7 KB each, in the Redis that holds all the state.
async def test_an_anonymous_post_with_an_idempotency_key_writes_nothing_to_redis(stack: ServiceStack) -> None:
    from shared.redis_factory import make_redis

    base_url = stack.url("referrals")
    stores = [make_redis(stack.infrastructure.redis_url.rsplit("/", 1)[0] + f"/{db}") for db in (0, 1)]

    async def kept() -> int:
        return sum([len([k async for k in r.scan_iter("*idempotency*", count=1000)]) for r in stores])

    try:
        before = await kept()
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as anyone:
            for n in range(20):
                for path, body in (("/v1/nowhere", {}), ("/v1/openings/x", {}), ("/v1/cir-signings", {"x": n}),
                                   ("/v1/cir-signings", signing_body())):  # fmt: skip
                    answer = await anyone.post(path, json=body, headers={"Idempotency-Key": random_ref("k")})
                    assert answer.status_code in (401, 404, 405, 422), answer.text
            forged = {"Authorization": "Bearer psk_000000000000_not-a-key", "Idempotency-Key": random_ref("k")}
            assert (await anyone.post("/v1/cir-signings", json=signing_body(), headers=forged)).status_code == 401
        assert await kept() == before
    finally:
        for store in stores:
            await store.aclose()
