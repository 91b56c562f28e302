"""Partners who use the official CloudEvents SDK interoperate with our hand-written Kafka binding
(`shared/contract/cloudevents.py`), in binary content mode, both ways: the SDK (`cloudevents` v2,
`cloudevents.core.bindings.kafka`) reads what we publish, and we read what it writes.

The messages are as on the wire: header values are bytes (aiokafka's), a `traceparent` header sits beside the
`ce_*` ones, the key is the beneficiary. Known differences, none of which breaks a direction: the SDK writes
`ce_time` with `Z` where we write `+00:00` (both RFC 3339); its default key mapper takes the Kafka key from a
`partitionkey` attribute, which it also sends as `ce_partitionkey` (the binding spec keeps it), and on
reading it adds `partitionkey` from the record key; we ignore both. Structured content mode (the whole event
in the value) is not read by us: such a message is refused as poison, never misread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import (
    KafkaMessage,
    from_binary_event,
    to_binary,
    to_binary_event,
    to_structured_event,
)
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contract.cloudevents import (
    CONTENT_TYPE,
    CloudEventAttributes,
    MissingCloudEventHeader,
    new_attributes,
    read_attributes,
)
from shared.contract.events import BeneficiaryProfile
from shared.messaging.consuming import PoisonMessage, check_envelope, decode_event
from tests.factories import profile

LIMIT = 256 * 1024
SOURCE = "/partner/crm"
TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))])
AWARE = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=OFFSETS)


def _ours(attributes: CloudEventAttributes, event: BeneficiaryProfile) -> KafkaMessage:
    """What `EventPublisher.publish` puts on the wire (FastStream encodes the `str` headers)."""
    headers = {name: value.encode() for name, value in attributes.as_headers().items()}
    return KafkaMessage(
        headers | {"traceparent": TRACEPARENT}, event.beneficiary_id.encode(), event.model_dump_json().encode()
    )


def _sdk_event(event: BeneficiaryProfile, **attributes: Any) -> CloudEvent:
    base = {"type": BeneficiaryProfile.EVENT_TYPE, "source": SOURCE, "datacontenttype": CONTENT_TYPE}
    return CloudEvent(base | attributes, event.model_dump(mode="json"))


def _as_consumed(message: KafkaMessage) -> dict[str, str | bytes]:
    """The headers as `ConsumeSafely` passes them on: a dict of the record's bytes, tracing included."""
    headers: dict[str, str | bytes] = {**message.headers, "traceparent": TRACEPARENT}
    return headers


def _subject_as_key(event: BaseCloudEvent) -> str | None:
    return event.get_subject()


# --- we publish, the SDK reads ------------------------------------------------------------------------------


def test_the_sdk_reads_what_we_publish() -> None:
    sent_event = profile()
    sent = new_attributes(BeneficiaryProfile.EVENT_TYPE, "/referrals", subject=sent_event.beneficiary_id)

    received = from_binary_event(_ours(sent, sent_event))

    assert isinstance(received, CloudEvent)
    assert received.get_id() == sent.id
    assert received.get_type() == sent.type
    assert received.get_source() == sent.source
    assert received.get_time() == sent.time
    assert received.get_subject() == sent.subject
    assert received.get_specversion() == "1.0"
    assert received.get_datacontenttype() == "application/json"
    assert BeneficiaryProfile.model_validate(received.get_data()) == sent_event
    assert received.get_extension("partitionkey") == sent_event.beneficiary_id  # the SDK maps the key back
    assert received.get_extension("traceparent") is None  # not a ce_ header: not an attribute


@pytest.mark.parametrize(
    "time",
    [
        datetime(2026, 11, 23, 9, 30, tzinfo=UTC),  # whole seconds: isoformat() leaves out the fraction
        datetime(2026, 11, 23, 9, 30, 0, 1, tzinfo=UTC),
        datetime(2026, 11, 23, 10, 30, tzinfo=timezone(timedelta(hours=1))),  # an offset other than UTC
    ],
    ids=["whole-seconds", "microseconds", "offset"],
)
def test_the_sdk_reads_our_ce_time_as_the_same_instant(time: datetime) -> None:
    sent = new_attributes(BeneficiaryProfile.EVENT_TYPE, "/referrals", event_id="e-1", time=time)

    received = from_binary_event(_ours(sent, profile()))

    assert received.get_time() == time
    assert received.get_subject() is None  # no ce_subject header: no subject


# --- the SDK publishes, we read -----------------------------------------------------------------------------


@pytest.mark.parametrize("key_mapping", ["partitionkey", "subject"])
def test_we_read_what_the_sdk_publishes(key_mapping: str) -> None:
    sent_event = profile()
    key = sent_event.beneficiary_id
    if key_mapping == "partitionkey":  # the SDK's default key mapper: also sends ce_partitionkey
        event = _sdk_event(sent_event, subject=key, partitionkey=key)
        message = to_binary_event(event)
        assert message.headers["ce_partitionkey"] == key.encode()
    else:  # a key mapper of the partner's own, adding no attribute
        event = _sdk_event(sent_event, subject=key)
        message = to_binary(event, JSONFormat(), _subject_as_key)
        assert "ce_partitionkey" not in message.headers
    assert message.key == key
    assert message.headers["ce_time"].endswith(b"Z")  # the SDK writes UTC as Z, we write +00:00

    decoded, attributes = decode_event(BeneficiaryProfile, message.value, _as_consumed(message), LIMIT)

    assert decoded == sent_event
    assert attributes == CloudEventAttributes(
        id=event.get_id(),
        type=BeneficiaryProfile.EVENT_TYPE,
        source=SOURCE,
        time=event.get_time(),  # type: ignore[arg-type]
        subject=key,
    )


@pytest.mark.parametrize(
    "time",
    [
        datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        datetime(2026, 11, 23, 9, 30, 0, 999999, tzinfo=UTC),
        datetime(2026, 11, 23, 0, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    ],
    ids=["whole-seconds-Z", "microseconds-Z", "negative-offset"],
)
def test_we_read_the_sdks_ce_time_as_the_same_instant(time: datetime) -> None:
    message = to_binary_event(_sdk_event(profile(), id="e-1", time=time))

    assert read_attributes(_as_consumed(message)).time == time


def test_the_sdks_default_id_and_time_are_accepted() -> None:
    """A partner who sets only type and source: the SDK fills in a uuid4 id and the current time in UTC."""
    event = CloudEvent({"type": BeneficiaryProfile.EVENT_TYPE, "source": SOURCE}, profile().model_dump(mode="json"))
    message = to_binary_event(event)  # no datacontenttype: no content-type header, JSON implied

    attributes = check_envelope(BeneficiaryProfile, message.value, _as_consumed(message), LIMIT)

    assert (attributes.id, attributes.time, attributes.subject) == (event.get_id(), event.get_time(), None)


# --- both ways, any time ------------------------------------------------------------------------------------


@settings(derandomize=True, database=None, deadline=None, max_examples=100)
@given(time=AWARE, subject=st.none() | st.text(min_size=1, max_size=40))
def test_attributes_survive_a_trip_through_the_other_side(time: datetime, subject: str | None) -> None:
    ours = new_attributes(BeneficiaryProfile.EVENT_TYPE, "/referrals", event_id="e-1", subject=subject, time=time)
    event = profile()

    through_sdk = to_binary_event(from_binary_event(_ours(ours, event)))  # SDK reads ours, writes it again
    back = read_attributes(_as_consumed(through_sdk))

    assert back == ours
    assert BeneficiaryProfile.model_validate_json(through_sdk.value) == event


# --- what the SDK can write that we do not read -------------------------------------------------------------


def test_a_structured_mode_message_is_refused_as_poison_not_misread() -> None:
    """The binding spec says implementations SHOULD support structured mode too; ours reads binary mode only,
    so a partner who sends the whole event in the value gets it dead-lettered with the missing headers named."""
    message = to_structured_event(_sdk_event(profile(), subject="b-1"))
    assert message.headers == {"content-type": b"application/cloudevents+json"}

    with pytest.raises(MissingCloudEventHeader, match="ce_id, ce_type, ce_source, ce_time, ce_specversion"):
        read_attributes(_as_consumed(message))
    with pytest.raises(PoisonMessage, match="missing CloudEvents header"):
        check_envelope(BeneficiaryProfile, message.value, _as_consumed(message), LIMIT)
