"""A CIR signing travels through the three services, as real processes, to the partner's topic."""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import httpx
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from passerelle.stack import ServiceStack
from shared.contract.events import PartnerCandidateEntry
from shared.contract.topics import BENEFICIARY_PROFILE, MATCHING_PROPOSAL, REFERRAL_EVENT, partner_candidates_topic
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import PERSONAL_FIELDS, signing_body
from tests.otlp_collector import OtlpCollector, ReceivedSpan
from tests.support import all_keys, collect_records, eventually, header, random_ref

SPAN_KIND_SERVER, SPAN_KIND_CONSUMER = Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CONSUMER


async def test_a_signing_reaches_the_partner_topic_minimised(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    partner = random_ref("epide")[:20].lower()
    opening = await open_opening(api, stack, partner_id=partner, department="68")
    body = signing_body(department="68", birth_date="2005-03-14")

    response = await api.post("/v1/cir-signings", json=body)

    assert response.status_code == 202, response.text
    [referral] = await referrals_of(api, body["beneficiary_id"])
    assert referral["status"] == "sent"
    assert referral["partner_id"] == partner
    topic = partner_candidates_topic(partner).name
    [record] = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers,
        topic,
        lambda r: r.key == referral["referral_id"].encode(),
        want=1,
    )
    entry = PartnerCandidateEntry.model_validate_json(record.value)
    assert entry.opening_id == opening["opening_id"]
    assert entry.candidate.age_band == "18-25"
    assert not PERSONAL_FIELDS & all_keys(json.loads(record.value))
    assert body["contact"]["family_name"] not in record.value.decode()
    for name in ("ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion"):
        assert header(record, name), f"missing {name}"
    assert header(record, "ce_type") == PartnerCandidateEntry.EVENT_TYPE


async def test_a_redelivered_proposal_makes_no_second_referral_or_delivery(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    partner = random_ref("afpa")[:20].lower()
    await open_opening(api, stack, partner_id=partner, department="35")
    body = signing_body(department="35", birth_date="2004-01-01")
    await api.post("/v1/cir-signings", json=body)
    [referral] = await referrals_of(api, body["beneficiary_id"])
    bootstrap = stack.infrastructure.kafka_bootstrap_servers
    [proposal] = await collect_records(
        bootstrap, MATCHING_PROPOSAL.name, lambda r: r.key == body["beneficiary_id"].encode(), want=1
    )

    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            MATCHING_PROPOSAL.name, proposal.value, key=proposal.key, headers=list(proposal.headers)
        )
    finally:
        await producer.stop()

    replayed = await collect_records(
        bootstrap, MATCHING_PROPOSAL.name, lambda r: r.key == body["beneficiary_id"].encode(), want=2
    )
    assert len(replayed) == 2
    entries = await collect_records(
        bootstrap,
        partner_candidates_topic(partner).name,
        lambda r: r.key == referral["referral_id"].encode(),
        want=1,
        settle_s=3.0,
    )
    assert len(entries) == 1
    view = (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).json()
    assert [r["referral_id"] for r in view["referrals"]] == [referral["referral_id"]]


async def test_a_full_opening_gives_a_proposal_without_a_referral(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    await open_opening(api, stack, department="2A", seats=0)
    body = signing_body(department="2A", birth_date="2004-01-01")

    await api.post("/v1/cir-signings", json=body)

    async def answered() -> dict[str, Any] | None:
        view = (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).json()
        return view if view["proposal"] else None

    view = await eventually(answered, what="a proposal")
    assert view["proposal"]["held"] is None
    assert view["referrals"] == []


async def test_posting_the_same_signing_twice_makes_one_referral(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    partner = random_ref("spie")[:20].lower()
    await open_opening(api, stack, department="974", partner_id=partner)
    body = signing_body(department="974", birth_date="2004-01-01")

    first = await api.post("/v1/cir-signings", json=body)
    second = await api.post("/v1/cir-signings", json=body)

    assert (first.json()["created"], second.json()["created"]) == (True, False)
    [referral] = await referrals_of(api, body["beneficiary_id"])
    entries = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers,
        partner_candidates_topic(partner).name,
        lambda r: r.key == referral["referral_id"].encode(),
        want=1,
        settle_s=3.0,
    )
    assert len(entries) == 1
    view = (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).json()
    assert len(view["referrals"]) == 1


async def test_one_signing_is_one_opentelemetry_trace_across_the_three_services(
    api: httpx.AsyncClient, stack: ServiceStack, otlp_collector: OtlpCollector
) -> None:
    partner = random_ref("trace")[:16].lower()
    await open_opening(api, stack, department="62", partner_id=partner)
    trace, caller_span = uuid.uuid4().hex, "1" * 16
    body = signing_body(department="62", birth_date="2005-01-01")

    response = await api.post("/v1/cir-signings", json=body, headers={"traceparent": f"00-{trace}-{caller_span}-01"})

    assert response.headers["traceresponse"].split("-")[1] == trace
    [referral] = await referrals_of(api, body["beneficiary_id"])
    [entry] = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers, partner_candidates_topic(partner).name,
        lambda r: r.key == referral["referral_id"].encode(), want=1,
    )  # fmt: skip
    assert (header(entry, "traceparent") or "").split("-")[1] == trace
    services = {f"passerelle-{name}" for name in ("referrals", "matching", "notifications")}
    entry_topic = partner_candidates_topic(partner).name

    async def whole_trace() -> list[ReceivedSpan] | None:
        """The trace once the partner entry's publish is in and every span's parent has arrived too (each
        service exports its spans in batches, as they end: a parent ends after its children)."""
        spans = otlp_collector.trace(trace)
        published = any(s.name == f"{entry_topic} publish" and s.service == "passerelle-notifications" for s in spans)
        # One trace: every span hangs from the caller's span or from another span of the same trace.
        connected = {s.parent_span_id for s in spans} <= {s.span_id for s in spans} | {caller_span}
        return spans if published and connected and {s.service for s in spans} >= services else None

    spans = await eventually(whole_trace, timeout_s=20, what="the signing's spans from the three services, connected")
    [root] = [span for span in spans if span.parent_span_id == caller_span]
    assert (root.service, root.kind) == ("passerelle-referrals", SPAN_KIND_SERVER)
    consumed = {(s.service, s.name) for s in spans if s.kind == SPAN_KIND_CONSUMER}
    assert ("passerelle-matching", f"{BENEFICIARY_PROFILE.name} process") in consumed
    assert ("passerelle-referrals", f"{MATCHING_PROPOSAL.name} process") in consumed
    assert ("passerelle-notifications", f"{REFERRAL_EVENT.name} process") in consumed
    for service in ("referrals", "matching", "notifications"):
        lines = [
            json.loads(line) for line in stack.services[service].log_path.read_text().splitlines() if trace in line
        ]
        # A line written inside the trace's spans carries its trace_id; the line a consumer writes per batch
        # names the traces of the events it handled.
        assert any(line.get("trace_id") == trace or trace in line.get("trace_ids", []) for line in lines), (
            f"no log line of {service} carries the trace"
        )


async def test_each_service_counts_its_messages_for_prometheus(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    partner = random_ref("prom")[:16].lower()
    await open_opening(api, stack, department="59", partner_id=partner)
    assert (await api.post("/v1/cir-signings", json=signing_body(department="59"))).status_code == 202
    consumed = {"referrals": MATCHING_PROPOSAL, "matching": BENEFICIARY_PROFILE, "notifications": REFERRAL_EVENT}

    async def counted(service: str) -> bool:
        async with httpx.AsyncClient(base_url=stack.url(service), timeout=10) as client:
            text = (await client.get("/metrics")).text
        labels = f'app_name="passerelle-{service}",broker="kafka",handler="{consumed[service].name}"'
        received = f"faststream_received_messages_total{{{labels}}}"
        return any(line.startswith(received) and float(line.rsplit(" ", 1)[1]) >= 1 for line in text.splitlines())

    for service in consumed:
        await eventually(functools.partial(counted, service), timeout_s=20, what=f"{service}'s message count")
