"""Every event a service can publish fits under the consumers' size limit, whatever request the API
accepted (issue 30, class 10). test_event_size_limits.py bounds the events consumers read; this bounds every
message each service *sends*, as its AsyncAPI document — generated from the code's publishers — declares
it: a field without a limit, or a limit too large, fails here, before an accepted request can make an event
that a consumer dead-letters (a consent withdrawal with 50 long pool programmes made a ~270 KB event, which
notifications refused, keeping the old consent)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from passerelle.asyncapi_docs import SERVICES, render
from shared.settings import ServiceSettings
from tests.event_bounds import worst_case_bytes

# Messages no request shapes: what a service says of itself, and dead letters (the original bytes of a
# message its consumer already refused for its size or its form, with the reason).
NOT_FROM_REQUESTS = {"ops.heartbeat.v1", "ops.metrics.v1", "ops.dlq.v1"}
LIMIT = ServiceSettings.model_fields["max_event_bytes"].default


def _sent() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(service, topic, payload schema, the document's schemas) of every message a service sends."""
    found = []
    for service in SERVICES:
        document = json.loads(render(service))
        schemas = document["components"]["schemas"]
        for operation in document["operations"].values():
            if operation["action"] != "send":
                continue
            channel = document["channels"][operation["channel"]["$ref"].rsplit("/", 1)[1]]
            topic = channel["address"]
            if topic in NOT_FROM_REQUESTS:
                continue
            for reference in operation["messages"]:
                message = channel["messages"][reference["$ref"].rsplit("/", 1)[1]]
                if "$ref" in message:
                    message = document["components"]["messages"][message["$ref"].rsplit("/", 1)[1]]
                found.append((service, topic, message["payload"], schemas))
    return found


SENT = _sent()


def test_every_service_sends_something_checked_here() -> None:
    assert {service for service, *_ in SENT} == set(SERVICES)
    assert "referrals.consent.v1" in {topic for _, topic, *_ in SENT}


def _cases() -> list[object]:
    cases = []
    for sent in SENT:
        cases.append(pytest.param(*sent, id=f"{sent[0]}:{sent[1]}"))
    return cases


@pytest.mark.parametrize(("service", "topic", "payload", "schemas"), _cases())
def test_the_largest_event_a_service_can_send_fits_under_the_consumer_limit(
    service: str, topic: str, payload: dict[str, Any], schemas: dict[str, Any]
) -> None:
    largest = worst_case_bytes(payload, schemas, topic)
    assert largest <= LIMIT, f"{service} can send {largest:,} bytes on {topic}, over {LIMIT:,}"


def test_the_largest_signing_still_seals_into_a_record_a_rebuild_reads() -> None:
    """The sealed record is base64url(12-byte nonce, ciphertext, 16-byte tag) of a SigningRecorded."""
    from services.referrals.domain.records import SEALED_CHARS, SigningRecorded
    from tests.unit.test_event_size_limits import bound

    assert 4 * -(-(bound(SigningRecorded) + 12 + 16) // 3) <= SEALED_CHARS


def test_the_request_that_made_a_270_kb_consent_event_is_refused_at_the_door_naming_the_field() -> None:
    from pydantic import ValidationError

    from services.referrals.entrypoints.consent_api import ConsentChange

    body = {"contact_with_accepting_partner": True, "candidate_pools": True, "channel": "api",
            "pool_programmes": ["Programme " + "x" * 5_000] * 50}  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        ConsentChange.model_validate(body)
    assert {error["loc"][0] for error in refused.value.errors()} == {"pool_programmes"}
