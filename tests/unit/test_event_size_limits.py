"""Every event a handler reads fits under the consumer's size limit, whatever valid values it holds.

The bound is worked out from each model's JSON schema: every string has a maxLength, every list a
maxItems, and a character costs at most 6 bytes in JSON (a control character is written \\u00XX). An HTTP
request is turned into these models before anything is published, so a request that would make an event
too large is a 422 at the door, never a dead letter later. A new field without a limit fails here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from services.referrals.domain.records import SigningRecorded
from shared.access import CredentialChange
from shared.events import (
    BeneficiaryProfile,
    MatchingProposal,
    PartnerCandidateEntry,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
    SuccessModelTrained,
)
from shared.settings import ServiceSettings

CONSUMED_OR_REBUILT = [
    BeneficiaryProfile,
    ProgrammeOpening,
    MatchingProposal,
    ReferralEvent,
    PartnerSubscription,
    PartnerCandidateEntry,
    SigningRecorded,
    CredentialChange,
    SuccessModelTrained,
]
BYTES_PER_CHAR = 6
NUMBER_BYTES = 24  # -1.2345678901234567e-308
FORMATTED = {"date": 10, "date-time": 32}  # 2026-12-01T21:36:56.123456+00:00


class Unbounded(AssertionError):
    pass


def worst_case_bytes(schema: dict[str, Any], defs: dict[str, Any], where: str = "") -> int:
    """An upper bound on the JSON size of any value that `schema` accepts."""
    if "$ref" in schema:
        return worst_case_bytes(defs[schema["$ref"].rsplit("/", 1)[1]], defs, where)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return max(worst_case_bytes(option, defs, where) for option in schema[combinator])
    if "allOf" in schema:
        return max(worst_case_bytes(part, defs, where) for part in schema["allOf"])
    if "enum" in schema or "const" in schema:
        return max(len(json.dumps(v)) for v in schema.get("enum", [schema.get("const")]))
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") in FORMATTED:
            return FORMATTED[schema["format"]] + 2
        if "maxLength" not in schema:
            raise Unbounded(f"{where or '<root>'}: a string without maxLength")
        return schema["maxLength"] * BYTES_PER_CHAR + 2
    if kind in ("integer", "number"):
        return NUMBER_BYTES
    if kind == "boolean":
        return 5
    if kind == "null":
        return 4
    if kind == "array" and "prefixItems" in schema:  # a tuple: each of its items, once
        items = schema["prefixItems"]
        return 2 + sum(worst_case_bytes(item, defs, f"{where}[{k}]") + 1 for k, item in enumerate(items))
    if kind == "array":
        if "maxItems" not in schema:
            raise Unbounded(f"{where or '<root>'}: a list without maxItems")
        item = worst_case_bytes(schema.get("items", {}), defs, f"{where}[]")
        return 2 + schema["maxItems"] * (item + 1)
    if kind == "object":
        total = 2
        for name, field in schema.get("properties", {}).items():
            total += len(json.dumps(name)) + 2 + worst_case_bytes(field, defs, f"{where}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                raise Unbounded(f"{where or '<root>'}: a mapping without maxProperties")
            key = schema.get("propertyNames", {}).get("maxLength")
            if key is None:
                raise Unbounded(f"{where or '<root>'}: mapping keys without maxLength")
            total += schema["maxProperties"] * (
                key * BYTES_PER_CHAR + 4 + worst_case_bytes(extra, defs, f"{where}{{}}")
            )
        return total
    raise Unbounded(f"{where or '<root>'}: no type to bound ({schema})")


def bound(model: type[BaseModel]) -> int:
    schema = model.model_json_schema(mode="serialization")
    return worst_case_bytes(schema, schema.get("$defs", {}))


@pytest.mark.parametrize("model", CONSUMED_OR_REBUILT, ids=lambda m: m.__name__)
def test_the_largest_valid_event_fits_under_the_consumer_limit(model: type[BaseModel]) -> None:
    limit = ServiceSettings.model_fields["max_event_bytes"].default

    assert bound(model) <= limit, f"{model.__name__} can reach {bound(model):,} bytes, over {limit:,}"


def test_the_bound_refuses_a_field_without_a_limit() -> None:
    class Careless(BaseModel):
        notes: list[str] = Field(max_length=3)

    with pytest.raises(Unbounded, match=r"\.notes\[\]: a string without maxLength"):
        bound(Careless)


def test_the_bound_is_an_upper_bound_on_a_real_large_event() -> None:
    """A real event with every text at its limit, in 6-byte characters, stays under the bound."""
    from tests.factories import profile

    largest = profile(skills=["\x01" * 80] * 50, occupations=["F1703"] * 20)
    assert len(largest.model_dump_json()) <= bound(BeneficiaryProfile)
