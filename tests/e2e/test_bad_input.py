"""Bad input gets a clear error and damages nothing: 422 on HTTP, the dead-letter topic on Kafka."""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from passerelle.stack import ServiceStack
from passerelle.topologies import consumer_groups
from shared.contract.cloudevents import new_attributes
from shared.contract.events import (
    BeneficiaryProfile,
    MatchingProposal,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
    SuccessModelTrained,
)
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_MODEL,
    MATCHING_PROPOSAL,
    OPS_DLQ,
    PARTNER_SUBSCRIPTION,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
)
from shared.messaging.dead_letters import DLQ_ERROR_HEADER, DLQ_SERVICE_HEADER, DLQ_TOPIC_HEADER
from shared.ops.state import consumer_lag
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import signing_body
from tests.support import collect_records, eventually, header, random_ref


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("french_level", "B7"),
        ("department", "999"),
        ("diploma_level", 9),
        ("occupations", ["masonry"]),
        ("mobility", "anywhere"),
        ("birth_date", "not-a-date"),
    ],
)
async def test_an_invalid_signing_gets_422_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, field: str, value: Any
) -> None:
    body = signing_body(**{field: value})

    response = await api.post("/v1/cir-signings", json=body)

    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert any(field in loc for loc in locations), locations
    assert (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).status_code == 404


async def test_a_missing_field_is_named(api: httpx.AsyncClient) -> None:
    body = signing_body()
    del body["consent_to_share"]

    response = await api.post("/v1/cir-signings", json=body)

    assert response.status_code == 422
    assert ["body", "consent_to_share"] in [e["loc"] for e in response.json()["detail"]]


async def test_a_different_signing_for_the_same_beneficiary_is_a_conflict(api: httpx.AsyncClient) -> None:
    body = signing_body()
    assert (await api.post("/v1/cir-signings", json=body)).status_code == 202

    again = await api.post("/v1/cir-signings", json=body)
    changed = await api.post("/v1/cir-signings", json={**body, "french_level": "B1"})

    assert again.status_code == 202 and again.json()["created"] is False
    assert changed.status_code == 409


CONSUMED = [
    (BENEFICIARY_PROFILE.name, BeneficiaryProfile.EVENT_TYPE, {"matching"}),
    (PROGRAMME_OPENING.name, ProgrammeOpening.EVENT_TYPE, {"matching"}),
    (MATCHING_PROPOSAL.name, MatchingProposal.EVENT_TYPE, {"referrals"}),
    (REFERRAL_EVENT.name, ReferralEvent.EVENT_TYPE, {"referrals", "matching", "notifications"}),
    (PARTNER_SUBSCRIPTION.name, PartnerSubscription.EVENT_TYPE, {"notifications"}),
    (MATCHING_MODEL.name, SuccessModelTrained.EVENT_TYPE, {"matching"}),
]
# Each kind of poison, and the words its dead letter must give as the reason. The headers: True for valid
# CloudEvents headers, False for none, "v2" for an unknown version, "bytes" for valid ones plus a header
# whose value is not UTF-8 (FastStream's own parser used to drop such a record without a trace).
POISON = {
    "invalid JSON": ("not valid JSON", b"\x00\xff{", True),
    "wrong schema": ("does not fit", b'{"unexpected": 1}', True),
    "wrong types": ("does not fit", b'{"beneficiary_id": 12, "referral_id": [], "opening_id": {}}', True),
    "unknown version": ("is not the expected", b"{}", "v2"),
    "oversized payload": ("exceeds the limit", b"{" + b" " * (300 * 1024) + b"}", True),
    "deep JSON": ("nested too deeply", b"[" * 100_000 + b"]" * 100_000, True),
    "missing headers": ("missing CloudEvents header", b"{}", False),
    "undecodable header": ("header traceparent is not UTF-8", b"{}", "bytes"),
}
VALID_TRAFFIC_DEPARTMENT = "09"  # signings that must still go through while the poison is handled


def _poison_headers(event_type: str, headers_wanted: bool | str) -> list[tuple[str, bytes]]:
    typed = event_type.replace(".v1", ".v2") if headers_wanted == "v2" else event_type
    attributes = new_attributes(typed, "/e2e").as_headers() if headers_wanted else {}
    headers = [(k, v.encode()) for k, v in attributes.items()]
    if headers_wanted == "bytes":
        headers.append(("traceparent", b"\xff\xfe\xfd"))
    return headers


@pytest.mark.parametrize(("topic", "event_type", "services"), CONSUMED)
async def test_every_kind_of_poison_is_dead_lettered_with_its_reason_and_the_lag_returns_to_zero(
    api: httpx.AsyncClient, stack: ServiceStack, topic: str, event_type: str, services: set[str]
) -> None:
    bootstrap = stack.infrastructure.kafka_bootstrap_servers
    await open_opening(api, stack, department=VALID_TRAFFIC_DEPARTMENT)
    keys = {kind: random_ref(kind.replace(" ", "-")) for kind in POISON}
    valid = [signing_body(department=VALID_TRAFFIC_DEPARTMENT) for _ in range(3)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * 1024 * 1024)
    await producer.start()
    try:
        for signing, (kind, (_, body, headers_wanted)) in zip_longest(valid, POISON.items()):
            if signing is not None:
                assert (await api.post("/v1/cir-signings", json=signing)).status_code == 202
            if kind is not None:
                headers = _poison_headers(event_type, headers_wanted)
                await producer.send_and_wait(topic, body, key=keys[kind].encode(), headers=headers)
    finally:
        await producer.stop()
    wanted = {k.encode() for k in keys.values()}

    dead = await collect_records(bootstrap, OPS_DLQ.name, lambda r: r.key in wanted, want=len(POISON) * len(services))

    # Every consuming service dead-letters each poison message once, with the reason.
    reasons = {(header(r, DLQ_SERVICE_HEADER), r.key.decode()): header(r, DLQ_ERROR_HEADER) or "" for r in dead}
    assert len(reasons) == len(dead) == len(POISON) * len(services)
    for service in services:
        for kind, (expected, _, _) in POISON.items():
            assert expected in reasons[(service, keys[kind])], (service, kind, reasons[(service, keys[kind])])
    assert all(header(r, DLQ_TOPIC_HEADER) == topic for r in dead)
    assert not stack.exited()
    groups = {group: consumed for group, consumed in consumer_groups().items() if consumed == topic}

    last: dict[str, int | None] = {}

    async def no_lag() -> bool:
        last.update(await consumer_lag(bootstrap, groups))
        return all(value == 0 for value in last.values())

    try:
        await eventually(no_lag, what=f"the consumers of {topic} to catch up")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; lag {last}") from None
    for signing in valid:  # the valid traffic went through all the while
        assert await referrals_of(api, signing["beneficiary_id"])
