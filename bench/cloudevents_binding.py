"""The CloudEvents Kafka binary binding by hand (`shared/contract/cloudevents.py`) against the official SDK.

Issue 15, item 6: adopt the `cloudevents` SDK (v2: `cloudevents.core.bindings.kafka`) on the hot path only
if it fits. One realistic event (a `BeneficiaryProfile`, the body a CIR signing starts with) is produced
and consumed both ways in the same run; each figure is µs per message, the best and the median of 5
repeats. Run: `.venv/bin/python -m bench.cloudevents_binding` (or `python bench/cloudevents_binding.py`).

Produce = attributes + headers + JSON body + key, as `shared/messaging/publishing.py` hands them to FastStream (whose
headers are `str`: the SDK's `bytes` headers are decoded back, as adopting it would have to).
Consume = headers + key + value as `shared/messaging/consuming.py` gets them from aiokafka (`bytes` values, with a
`traceparent` beside the `ce_*` ones) -> attributes + validated body."""

from __future__ import annotations

import argparse
import json
import statistics
import timeit
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import cloudevents
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.contract.cloudevents import CONTENT_TYPE, new_attributes, read_attributes
from shared.contract.events import BeneficiaryProfile, Preferences

SOURCE = "/referrals"
TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SIGNING_CPU_MS = 18.0  # README, "bench/e2e_load.py": CPU of one signing across the pipeline
PUBLISHED_PER_SIGNING = 6  # assumption: messages one signing publishes across the services
CONSUMED_PER_SIGNING = 8  # assumption: messages one signing has consumed across the services
REPEAT = 5


def realistic_profile() -> BeneficiaryProfile:
    """The shape of `tests/factories.profile()`, with preferences filled in."""
    return BeneficiaryProfile(
        beneficiary_id="b-67-2026-000123",
        birth_date=date(2004, 6, 1),
        french_level="A2",
        diploma_level=0,
        occupations=["G1602", "G1603"],
        skills=["cuisine", "service en salle"],
        department="67",
        mobility="region",
        housing="cph",
        protection_status="subsidiary",
        rsa_applicant=False,
        preferences=Preferences(programmes=["HOPE"], departments=["67", "68"]),
        consent_to_share=True,
        cir_signed_on=date(2026, 11, 16),
    )


class RawBytes(JSONFormat):
    """A format that leaves the body as the bytes pydantic wrote and will read: no `json` round trip."""

    def write_data(self, data: dict[str, Any] | str | bytes | None, datacontenttype: str | None) -> bytes:
        return data if isinstance(data, bytes) else super().write_data(data, datacontenttype)

    def read_data(self, body: bytes, datacontenttype: str | None) -> bytes:  # type: ignore[override]
        return body


def _subject_as_key(event: BaseCloudEvent) -> str | None:
    """Our key is the subject (the beneficiary); mapping it this way adds no `partitionkey` attribute."""
    return event.get_attributes().get("subject")


JSON_FORMAT = JSONFormat()
RAW_FORMAT = RawBytes()


# --- producing ---------------------------------------------------------------------------------------------


def produce_by_hand(event: BeneficiaryProfile, key: str) -> tuple[dict[str, str], bytes, bytes]:
    attributes = new_attributes(event.EVENT_TYPE, SOURCE, subject=key)
    return attributes.as_headers(), event.model_dump_json().encode(), key.encode()


def _sdk_event(event: BeneficiaryProfile, key: str, data: Any) -> CloudEvent:
    # the SDK fills in `id` (uuid4) and `time` (now, UTC) as `new_attributes` does
    attributes = {"type": event.EVENT_TYPE, "source": SOURCE, "subject": key, "datacontenttype": CONTENT_TYPE}
    return CloudEvent(attributes, data)


def produce_sdk_json(event: BeneficiaryProfile, key: str) -> tuple[dict[str, str], bytes, bytes]:
    """The SDK's own way: data as a dict, serialised by its `JSONFormat` (json.dumps)."""
    message = ce_kafka.to_binary(_sdk_event(event, key, event.model_dump(mode="json")), JSON_FORMAT, _subject_as_key)
    return _for_faststream(message)


def produce_sdk_bytes(event: BeneficiaryProfile, key: str) -> tuple[dict[str, str], bytes, bytes]:
    """The SDK with pydantic's JSON bytes as data (the SDK passes bytes through as-is)."""
    message = ce_kafka.to_binary(_sdk_event(event, key, event.model_dump_json().encode()), RAW_FORMAT, _subject_as_key)
    return _for_faststream(message)


def _for_faststream(message: ce_kafka.KafkaMessage) -> tuple[dict[str, str], bytes, bytes]:
    key = message.key.encode() if isinstance(message.key, str) else message.key or b""
    return {name: value.decode() for name, value in message.headers.items()}, message.value, key


# --- consuming ---------------------------------------------------------------------------------------------


def consume_by_hand(headers: dict[str, bytes], key: bytes, value: bytes) -> tuple[BeneficiaryProfile, Any]:
    return BeneficiaryProfile.model_validate_json(value), read_attributes(headers)


def consume_as_in_service(headers: dict[str, bytes], key: bytes, value: bytes) -> tuple[BeneficiaryProfile, Any]:
    """What `shared/messaging/consuming.py` does today: `decode_body` parses with `json` first (to tell bad
    JSON apart)."""
    attributes = read_attributes(headers)
    json.loads(value)
    return BeneficiaryProfile.model_validate_json(value), attributes


def consume_sdk_json(headers: dict[str, bytes], key: bytes, value: bytes) -> tuple[BeneficiaryProfile, Any]:
    event = ce_kafka.from_binary(ce_kafka.KafkaMessage(headers, key, value), JSON_FORMAT, CloudEvent)
    return BeneficiaryProfile.model_validate(event.get_data()), event


def consume_sdk_bytes(headers: dict[str, bytes], key: bytes, value: bytes) -> tuple[BeneficiaryProfile, Any]:
    event = ce_kafka.from_binary(ce_kafka.KafkaMessage(headers, key, value), RAW_FORMAT, CloudEvent)
    return BeneficiaryProfile.model_validate_json(event.get_data()), event  # type: ignore[arg-type]


# --- measuring ---------------------------------------------------------------------------------------------


def per_message_us(calls: dict[str, Callable[[], object]], seconds: float) -> dict[str, tuple[float, float]]:
    """Best and median of REPEAT runs of each call, in µs per call, each run about `seconds` long. The runs
    are interleaved (repeat 1 of every call, then repeat 2...), so that a slower spell of this shared
    machine weighs on every path alike rather than on whichever ran then."""
    timers = {name: timeit.Timer(call) for name, call in calls.items()}
    numbers = {}
    for name, timer in timers.items():
        number, elapsed = timer.autorange()
        numbers[name] = max(1, round(number * seconds / max(elapsed, 1e-9)))
    runs: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(REPEAT):
        for name, timer in timers.items():
            runs[name].append(timer.timeit(numbers[name]) / numbers[name] * 1e6)
    return {name: (min(times), statistics.median(times)) for name, times in runs.items()}


def wire_headers(headers: dict[str, str]) -> dict[str, bytes]:
    """As aiokafka hands them to `ConsumeSafely`, with the telemetry middleware's `traceparent`."""
    return {name: value.encode() for name, value in headers.items()} | {"traceparent": TRACEPARENT}


def header_differences() -> list[str]:
    """Both producers' headers for the same id, time and subject, side by side."""
    event_id, time = "0b5c6a1e-6f2b-4c1e-9d0a-2f6f3f1a7c11", datetime(2026, 11, 23, 9, 30, 0, 123456, tzinfo=UTC)
    event, key = realistic_profile(), "b-67-2026-000123"
    ours = new_attributes(event.EVENT_TYPE, SOURCE, event_id=event_id, subject=key, time=time).as_headers()
    attributes = {"type": event.EVENT_TYPE, "source": SOURCE, "subject": key, "datacontenttype": CONTENT_TYPE,
                  "id": event_id, "time": time}  # fmt: skip
    sdk = ce_kafka.to_binary(CloudEvent(dict(attributes), event.model_dump(mode="json")), JSON_FORMAT, _subject_as_key)
    with_pk = ce_kafka.to_binary(CloudEvent(dict(attributes) | {"partitionkey": key}, None), JSON_FORMAT)
    lines = []
    for name in sorted(set(ours) | set(sdk.headers)):
        mine, theirs = ours.get(name), sdk.headers.get(name, b"").decode() or None
        lines.append(f"  {name:<15} {'same' if mine == theirs else 'DIFFERS'}: ours {mine!r}, SDK {theirs!r}")
    lines.append(f"  key             ours {key.encode()!r}, SDK (key_mapper=subject) {sdk.key!r}")
    extra = with_pk.headers.get("ce_partitionkey")
    lines.append(f"  partitionkey    with the SDK's default key mapper: key {with_pk.key!r} and an extra header "
                 f"ce_partitionkey={extra!r} (the spec keeps the attribute)")  # fmt: skip
    back = read_attributes(sdk.headers)
    lines.append(f"  read back       read_attributes(SDK headers).time == sent time: {back.time == time}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.2, help="length of one repeat, about (default 0.2)")
    args = parser.parse_args()

    event, key = realistic_profile(), "b-67-2026-000123"
    body = event.model_dump_json().encode()
    headers, _, wire_key = produce_by_hand(event, key)
    consumed = (wire_headers(headers), wire_key, body)
    for produce, consume in ((produce_sdk_json, consume_sdk_json), (produce_sdk_bytes, consume_sdk_bytes)):
        h, v, k = produce(event, key)
        assert read_attributes(wire_headers(h)).type == event.EVENT_TYPE and k == wire_key
        assert consume(wire_headers(h), k, v)[0] == event == consume(*consumed)[0]

    paths = [
        ("hand-written (shared/contract/cloudevents.py)", produce_by_hand, consume_by_hand),
        ("  same, consume as shared/messaging/consuming.py", produce_by_hand, consume_as_in_service),
        ("SDK, JSONFormat (dict data)", produce_sdk_json, consume_sdk_json),
        ("SDK, bytes passed through (pydantic)", produce_sdk_bytes, consume_sdk_bytes),
    ]
    envelope = [
        ("hand-written", lambda: new_attributes(event.EVENT_TYPE, SOURCE, subject=key).as_headers(),
         lambda: read_attributes(consumed[0])),
        ("SDK", lambda: _for_faststream(ce_kafka.to_binary(_sdk_event(event, key, body), RAW_FORMAT, _subject_as_key)),
         lambda: ce_kafka.from_binary(ce_kafka.KafkaMessage(*consumed), RAW_FORMAT, CloudEvent)),
    ]  # fmt: skip

    print(f"cloudevents {cloudevents.__version__} (cloudevents.core.bindings.kafka), body {len(body)} bytes, "
          f"{REPEAT} interleaved repeats of about {args.seconds:g} s each, µs per message (best / median)")  # fmt: skip
    print()
    print("Headers for the same event (ours vs SDK to_binary):")
    print("\n".join(header_differences()))
    print()

    calls: dict[str, Callable[[], object]] = {}
    for name, produce, consume in paths:
        calls[f"{name}|produce"] = lambda p=produce: p(event, key)  # type: ignore[misc]
        calls[f"{name}|consume"] = lambda c=consume: c(*consumed)  # type: ignore[misc]
    for name, produce_envelope, consume_envelope in envelope:
        calls[f"envelope {name}|produce"] = produce_envelope
        calls[f"envelope {name}|consume"] = consume_envelope
    measured = per_message_us(calls, args.seconds)

    def row(name: str) -> tuple[tuple[float, float], tuple[float, float]]:
        return measured[f"{name}|produce"], measured[f"{name}|consume"]

    (base_pb, base_pm), (base_cb, base_cm) = row(paths[0][0])
    print(f"{'path':<40} | {'produce µs best / med':>21} | {'consume µs best / med':>21} | "
          f"{'ratio produce best / med':>24} | {'ratio consume best / med':>24}")  # fmt: skip
    for name, _, _ in paths:
        (p_best, p_med), (c_best, c_med) = row(name)
        print(f"{name:<40} | {p_best:9.2f} / {p_med:9.2f} | {c_best:9.2f} / {c_med:9.2f} | "
              f"{p_best / base_pb:10.2f}x / {p_med / base_pm:10.2f}x | "
              f"{c_best / base_cb:10.2f}x / {c_med / base_cm:10.2f}x")  # fmt: skip
    print("(ratio: the path's figure / the hand-written path's figure)")
    print()

    print("Envelope only (attributes <-> headers, no body), µs best / median:")
    for name, _, _ in envelope:
        (p_best, p_med), (c_best, c_med) = row(f"envelope {name}")
        print(f"  {name:<14} produce {p_best:6.2f} / {p_med:6.2f}   consume {c_best:6.2f} / {c_med:6.2f}")
    print()

    signing_us = SIGNING_CPU_MS * 1000
    print(f"Per signing (assumption: {PUBLISHED_PER_SIGNING} messages published and {CONSUMED_PER_SIGNING} "
          f"consumed across the services), of {SIGNING_CPU_MS:g} ms of CPU per signing, best / median:")  # fmt: skip
    hand = (PUBLISHED_PER_SIGNING * base_pb + CONSUMED_PER_SIGNING * base_cb,
            PUBLISHED_PER_SIGNING * base_pm + CONSUMED_PER_SIGNING * base_cm)  # fmt: skip
    for name, _, _ in paths:
        (p_best, p_med), (c_best, c_med) = row(name)
        cost = (PUBLISHED_PER_SIGNING * p_best + CONSUMED_PER_SIGNING * c_best,
                PUBLISHED_PER_SIGNING * p_med + CONSUMED_PER_SIGNING * c_med)  # fmt: skip
        extra = (cost[0] - hand[0], cost[1] - hand[1])
        print(f"  {name:<40} {cost[0]:6.1f} / {cost[1]:6.1f} µs = {cost[0] / signing_us:5.2%} / "
              f"{cost[1] / signing_us:5.2%} of a signing; vs hand-written {extra[0]:+6.1f} / {extra[1]:+6.1f} µs "
              f"= {extra[0] / signing_us:+5.2%} / {extra[1] / signing_us:+5.2%}")  # fmt: skip


if __name__ == "__main__":
    main()
