import json
from datetime import UTC, datetime

import pytest

from shared.contract.cloudevents import MissingCloudEventHeader, new_attributes, read_attributes
from shared.contract.events import BeneficiaryProfile, MatchingProposal
from shared.messaging.consuming import PoisonMessage, decode_event
from tests.factories import profile

LIMIT = 64 * 1024


def _headers(event_type: str = BeneficiaryProfile.EVENT_TYPE) -> dict[str, str | bytes]:
    return {k: v.encode() for k, v in new_attributes(event_type, "/test").as_headers().items()}


def test_cloudevents_attributes_survive_a_round_trip_through_headers() -> None:
    sent = new_attributes("fr.passerelle.x.v1", "/test", subject="b-1", time=datetime(2026, 11, 23, tzinfo=UTC))

    received = read_attributes({k: v.encode() for k, v in sent.as_headers().items()})

    assert received == sent
    assert sent.as_headers()["ce_specversion"] == "1.0"


def test_missing_headers_are_named() -> None:
    with pytest.raises(MissingCloudEventHeader, match="ce_id, ce_type"):
        read_attributes({"ce_source": "/x", "ce_time": "2026-01-01T00:00:00+00:00", "ce_specversion": "1.0"})


def test_a_valid_profile_decodes() -> None:
    sent = profile()
    event, attributes = decode_event(BeneficiaryProfile, sent.model_dump_json().encode(), _headers(), LIMIT)
    assert event == sent
    assert attributes.type == BeneficiaryProfile.EVENT_TYPE


def test_invalid_json_is_poison() -> None:
    with pytest.raises(PoisonMessage, match="not valid JSON"):
        decode_event(BeneficiaryProfile, b"{not json", _headers(), LIMIT)


def test_a_schema_violation_names_the_field() -> None:
    body = profile().model_dump(mode="json") | {"french_level": "B7"}
    with pytest.raises(PoisonMessage, match="french_level"):
        decode_event(BeneficiaryProfile, json.dumps(body).encode(), _headers(), LIMIT)


def test_an_unexpected_event_type_or_version_is_poison() -> None:
    with pytest.raises(PoisonMessage, match="is not the expected"):
        body = profile().model_dump_json().encode()
        decode_event(BeneficiaryProfile, body, _headers(MatchingProposal.EVENT_TYPE), LIMIT)


def test_an_oversized_payload_is_poison_before_parsing() -> None:
    with pytest.raises(PoisonMessage, match="exceeds the limit"):
        decode_event(BeneficiaryProfile, b"x" * (LIMIT + 1), _headers(), LIMIT)


def test_a_profile_never_carries_a_nationality() -> None:
    body = profile().model_dump(mode="json") | {"nationality": "SD"}
    with pytest.raises(PoisonMessage, match="nationality"):
        decode_event(BeneficiaryProfile, json.dumps(body).encode(), _headers(), LIMIT)
