"""Properties of event parsing (`shared.messaging.consuming.decode_event`, `shared.contract.cloudevents`): every
valid event of the contract survives its CloudEvents headers and JSON body, and whatever else arrives, bytes,
JSON, a damaged event, bad `ce_*` headers, too many bytes, is refused with PoisonMessage (so it is dead-
lettered) and never with another exception, which would escape the poison-safe consumer. Valid events are
drawn from each model's own JSON Schema (`model_json_schema()`), so a new field or rule is covered without
touching this file. Derandomised with a fixed number of examples: the same cases every run.
test_event_decoding.py has the worked examples; this file only has properties."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import event as note_branch
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.contract.cloudevents import REQUIRED_HEADERS, CloudEventAttributes, new_attributes
from shared.contract.events import (
    AuditRecord,
    BeneficiaryProfile,
    Event,
    MatchingProposal,
    PartnerCandidateEntry,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
)
from shared.contract.events.ops import Heartbeat, MetricsSnapshot
from shared.messaging.consuming import PoisonMessage, decode_event

MODELS: list[type[Event]] = [
    AuditRecord,
    BeneficiaryProfile,
    MatchingProposal,
    PartnerCandidateEntry,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
    Heartbeat,
    MetricsSnapshot,
]
LIMIT = 256 * 1024  # the services' default max_event_bytes
SETTINGS = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------------------
# Strategies: JSON, and JSON that fits a model's JSON Schema (the subset pydantic emits for the contract).

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))])
AWARE = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=OFFSETS)
URLS = st.sampled_from(["https://partner.example/hooks/passerelle", "http://localhost:8080/x?y=1"])


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    fmt = schema.get("format")
    if fmt == "date":
        return st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)).map(date.isoformat)
    if fmt == "date-time":
        return (AWARE | st.datetimes(min_value=datetime(1970, 1, 2))).map(datetime.isoformat)
    if fmt == "uri":
        return URLS
    low = schema.get("minLength", 0)
    high = schema.get("maxLength", low + 30)
    if "pattern" in schema:
        pattern = schema["pattern"].removeprefix("^").removesuffix("$")
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(min_size=low, max_size=min(high, low + 30))


def from_schema(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for JSON values valid against `schema`."""
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**12)), schema.get("maximum", 10**12))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "string":
        return _string(schema)
    if kind == "array":
        items = from_schema(schema.get("items", {}), defs) if schema.get("items") else JSON
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object":
        properties = {k: from_schema(v, defs) for k, v in schema.get("properties", {}).items()}
        required = set(schema.get("required", []))
        fixed = st.fixed_dictionaries(
            {k: v for k, v in properties.items() if k in required},
            optional={k: v for k, v in properties.items() if k not in required},
        )
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not properties:
            return st.dictionaries(st.text(max_size=12), from_schema(extra, defs), max_size=3)
        return fixed
    return JSON  # no type: anything


def _valid_bodies(model: type[Event]) -> st.SearchStrategy[dict[str, Any]]:
    schema = model.model_json_schema()
    return from_schema(schema, schema.get("$defs", {}))


VALID_BODIES = {model: _valid_bodies(model) for model in MODELS}


@st.composite
def valid_events(draw: st.DrawFn) -> Event:
    model = draw(st.sampled_from(MODELS))
    body = draw(VALID_BODIES[model])
    try:
        return model.model_validate(body)
    except ValidationError:  # a rule the JSON Schema does not carry (none today): not a valid event
        reject()


ATTRIBUTE_TEXT = st.text(min_size=1, max_size=40)  # read_attributes takes any non-empty value


@st.composite
def attributes_for(draw: st.DrawFn, event_type: str) -> CloudEventAttributes:
    return new_attributes(
        event_type,
        draw(ATTRIBUTE_TEXT),
        event_id=draw(ATTRIBUTE_TEXT),
        subject=draw(st.none() | ATTRIBUTE_TEXT),
        time=draw(AWARE),
    )


def as_kafka_headers(attributes: CloudEventAttributes) -> dict[str, str | bytes]:
    return {name: value.encode() for name, value in attributes.as_headers().items()}


def headers_for(model: type[Event]) -> dict[str, str | bytes]:
    return as_kafka_headers(new_attributes(model.EVENT_TYPE, "/test"))


def decodes_or_is_poison(model: type[Event], body: bytes, headers: dict[str, str | bytes], limit: int = LIMIT) -> str:
    """'ok' or the poison's reason; any other exception fails the property."""
    try:
        decode_event(model, body, headers, limit)
    except PoisonMessage as exc:
        return str(exc)
    return "ok"


# ---------------------------------------------------------------------------------------------------------
# Properties.


@settings(SETTINGS, max_examples=80)
@given(data=st.data())
def test_every_valid_event_round_trips_through_its_cloudevents_headers_and_json_body(data: st.DataObject) -> None:
    event = data.draw(valid_events())
    sent = data.draw(attributes_for(event.EVENT_TYPE))

    received, attributes = decode_event(type(event), event.model_dump_json().encode(), as_kafka_headers(sent), LIMIT)

    assert received == event
    assert attributes == sent


@settings(SETTINGS, max_examples=80)
@given(model=st.sampled_from(MODELS), body=st.binary(max_size=300))
def test_arbitrary_bytes_are_poison_never_a_crash(model: type[Event], body: bytes) -> None:
    assert decodes_or_is_poison(model, body, headers_for(model)) != "ok"


@settings(SETTINGS, max_examples=80)
@given(model=st.sampled_from(MODELS), value=JSON)
def test_arbitrary_json_is_poison_or_an_event_never_a_crash(model: type[Event], value: Any) -> None:
    outcome = decodes_or_is_poison(model, json.dumps(value).encode(), headers_for(model))
    if outcome != "ok":
        assert outcome.startswith(f"body does not fit {model.__name__}: "), outcome


@st.composite
def damaged(draw: st.DrawFn) -> tuple[type[Event], dict[str, Any], str]:
    """A valid event's body with one top-level field dropped, replaced by any JSON, or added unknown."""
    event = draw(valid_events())
    body = json.loads(event.model_dump_json())
    how = draw(st.sampled_from(["drop", "replace", "add"]))
    if how == "add":
        field = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(lambda f: f not in body))
        body[field] = draw(JSON)
    else:
        field = draw(st.sampled_from(sorted(body)))
        if how == "drop":
            del body[field]
        else:
            body[field] = draw(JSON)
    return type(event), body, field


@settings(SETTINGS, max_examples=80)
@given(case=damaged())
def test_a_damaged_event_is_poison_that_names_the_field_or_still_valid(
    case: tuple[type[Event], dict[str, Any], str],
) -> None:
    model, body, field = case
    outcome = decodes_or_is_poison(model, json.dumps(body).encode(), headers_for(model))
    if outcome != "ok":
        assert outcome.startswith(f"body does not fit {model.__name__}: "), outcome
        assert re.search(rf"(^|: |; ){re.escape(field)}[.:]", outcome), (field, outcome)


# Header values as Kafka gives them (bytes) or as a test gives them (str): near misses and plain junk.
PLAUSIBLE = ["", " ", "1.0", "1.0 ", "0.3", "2026-11-23T10:00:00+00:00", "2026-11-23", "yesterday", "/source"]
PLAUSIBLE += [model.EVENT_TYPE for model in MODELS] + [MODELS[0].EVENT_TYPE.replace(".v1", ".v2")]
HEADER_TEXT = st.sampled_from(PLAUSIBLE) | st.text(max_size=30)
HEADER_VALUES = HEADER_TEXT | HEADER_TEXT.map(str.encode)


@settings(SETTINGS, max_examples=80)
@given(
    data=st.data(),
    dropped=st.just(set()) | st.sets(st.sampled_from(REQUIRED_HEADERS), min_size=1, max_size=2),
    replaced=st.dictionaries(st.sampled_from([*REQUIRED_HEADERS, "ce_subject", "content-type"]), HEADER_VALUES),
)
def test_missing_or_wrong_cloudevents_headers_are_poison_never_a_crash(
    data: st.DataObject, dropped: set[str], replaced: dict[str, str | bytes]
) -> None:
    event = data.draw(valid_events())
    model = type(event)
    headers = {k: v for k, v in headers_for(model).items() if k not in dropped} | replaced

    outcome = decodes_or_is_poison(model, event.model_dump_json().encode(), headers)

    text = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
    missing = [name for name in REQUIRED_HEADERS if not text.get(name)]
    note_branch(outcome.split(" ")[0])
    if missing:
        assert outcome == f"missing CloudEvents header(s): {', '.join(missing)}"
    elif text["ce_specversion"] != "1.0":
        assert outcome.startswith("unsupported ce_specversion"), outcome
    elif not _is_time(text["ce_time"]):
        assert outcome.startswith("ce_time is not an RFC 3339 timestamp"), outcome
    elif text["ce_type"] != model.EVENT_TYPE:
        assert outcome == f"ce_type {text['ce_type']!r} is not the expected {model.EVENT_TYPE!r}"
    else:
        assert outcome == "ok"


def _is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@settings(SETTINGS, max_examples=60)
@given(model=st.sampled_from(MODELS), limit=st.integers(1024, 4096), data=st.data())
def test_a_body_over_the_limit_is_poison_whatever_it_holds(model: type[Event], limit: int, data: st.DataObject) -> None:
    body = data.draw(st.binary(min_size=limit + 1, max_size=limit + 64))
    headers = data.draw(st.just(headers_for(model)) | st.just({}))
    assert (
        decodes_or_is_poison(model, body, headers, limit)
        == f"payload of {len(body)} bytes exceeds the limit of {limit}"
    )


# Inputs that once made decode_event raise something other than PoisonMessage (found by the properties
# above); the consumer would have rewound to them for ever instead of dead-lettering them.


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_is_poison(opening: str) -> None:
    body = (opening * 5000).encode()
    assert decodes_or_is_poison(BeneficiaryProfile, body, headers_for(BeneficiaryProfile)) != "ok"


def test_a_ce_header_that_is_not_utf8_is_poison_and_names_the_header() -> None:
    headers = headers_for(BeneficiaryProfile) | {"ce_source": b"\xff\xfe"}
    assert decodes_or_is_poison(BeneficiaryProfile, b"{}", headers).startswith("header ce_source is not UTF-8")


def test_any_header_that_is_not_utf8_is_poison_and_names_the_header() -> None:
    """FastStream drops such a record before any handler runs; ours must see it and dead-letter it."""
    headers = headers_for(BeneficiaryProfile) | {"traceparent": b"\xff\xfe"}
    assert decodes_or_is_poison(BeneficiaryProfile, b"{}", headers).startswith("header traceparent is not UTF-8")
