"""Every event a handler reads fits under the consumer's size limit, whatever valid values it holds.

The bound is worked out from each model's JSON schema: every string has a maxLength, every list a
maxItems, and a character costs at most 6 bytes in JSON (a control character is written \\u00XX). An HTTP
request is turned into these models before anything is published, so a request that would make an event
too large is a 422 at the door, never a dead letter later. A new field without a limit fails here."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from services.referrals.domain.records import SigningRecorded
from shared.contract.events import (
    BeneficiaryProfile,
    MatchingProposal,
    PartnerCandidateEntry,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
    SuccessModelTrained,
)
from shared.contract.events.credential import CredentialChange
from shared.settings import ServiceSettings
from tests.event_bounds import Unbounded, worst_case_bytes

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
