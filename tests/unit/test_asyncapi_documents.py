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
