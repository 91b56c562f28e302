"""The committed AsyncAPI documents are the ones the code generates: change an event, re-export."""

import json
import re
from typing import Any

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
    consumed = [name for name in document["components"]["messages"] if name.endswith(".SubscribeMessage")]
    assert consumed, f"{service} documents no subscriber"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert "ops.dlq.v1" in addresses, f"{service} does not document its dead letters"


KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3.0.0, "Components Object": every key


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.mark.parametrize("service", SERVICES)
def test_each_document_follows_the_asyncapi_3_rules(service: str) -> None:
    document = json.loads(render(service))
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert all(server["protocol"] == "kafka" for server in document["servers"].values())
    sections = [document["channels"], document["operations"], *document["components"].values()]
    bad_keys = [key for section in sections for key in section if not KEY.match(key)]
    assert bad_keys == [], f"keys outside {KEY.pattern}: {bad_keys}"
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))
    unresolved = []
    for ref in refs:
        try:
            _resolve(document, ref)
        except KeyError:
            unresolved.append(ref)
    assert unresolved == []
    for name, channel in document["channels"].items():
        declared = set(channel.get("parameters", {}))
        assert set(re.findall(r"\{([^}]+)\}", channel["address"])) == declared, name
    for name, operation in document["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        channel_ref = operation["channel"]["$ref"]
        assert all(m["$ref"].startswith(channel_ref + "/messages/") for m in operation["messages"]), name
    for name, message in document["components"]["messages"].items():
        assert "payload" in message, name
        headers = message["headers"]
        assert headers["type"] == "object", name
        expected = {"dlq_original_topic", "dlq_error"} if name.startswith("ops.dlq.v1.") else {"ce_id", "ce_type"}
        assert expected <= set(headers["required"]), name
