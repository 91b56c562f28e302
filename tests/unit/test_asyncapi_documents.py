"""The committed AsyncAPI documents are the ones the code generates: change an event, re-export."""

import json

import pytest

from passerelle.asyncapi_docs import DOCS_DIR, SERVICES, render


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_asyncapi_document_matches_the_code(service: str) -> None:
    committed = (DOCS_DIR / f"{service}.json").read_text()
    assert committed == render(service), f"deploy/asyncapi/{service}.json is stale: run `make asyncapi`"


def test_the_documents_name_the_contract_topics_and_their_payloads() -> None:
    referrals = json.loads(render("referrals"))
    addresses = {channel["address"] for channel in referrals["channels"].values()}
    assert {"beneficiary.profile.v1", "programme.opening.v1", "referral.event.v1", "matching.proposal.v1"} <= addresses
    schemas = referrals["components"]["schemas"]
    assert any("BeneficiaryProfile" in name for name in schemas)


@pytest.mark.parametrize("service", SERVICES)
def test_every_message_a_service_consumes_or_publishes_has_its_payload(service: str) -> None:
    document = json.loads(render(service))
    schemas = document["components"]["schemas"]
    empty = []
    for name, message in document["components"]["messages"].items():
        ref = message["payload"].get("$ref", "")
        schema = schemas.get(ref.rsplit("/", 1)[-1], message["payload"])
        if "EmptyPayload" in ref or schema in ({}, {"title": "EmptyPayload"}) or schema.get("type") == "null":
            empty.append(name)
    assert empty == [], f"{service}: messages without a payload schema: {empty}"
    consumed = [name for name in document["components"]["messages"] if name.endswith(":SubscribeMessage")]
    assert consumed, f"{service} documents no subscriber"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert "ops.dlq.v1" in addresses, f"{service} does not document its dead letters"
