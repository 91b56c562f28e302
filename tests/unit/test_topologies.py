"""Each service's topology is the one place its topics are written: the routes of the wired service (the
same bootstrap production calls), its projections, the AsyncAPI document it serves, the Kubernetes ACLs and
the consumer groups the operators watch all agree with it, and a wiring that disagrees fails at start-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from passerelle.architecture_tables import ARCHITECTURE
from passerelle.architecture_tables import render as render_architecture
from passerelle.kubernetes_manifests import service_user
from passerelle.topologies import TOPOLOGIES, consumer_groups
from shared.contract.cloudevents import CloudEventAttributes, new_attributes
from shared.contract.events import ReferralEvent
from shared.contract.topics import FIXED_TOPICS, REFERRAL_EVENT
from shared.messaging.injection import inject
from shared.messaging.projections import ProjectionTable
from shared.messaging.topology import OPS_OUT, Consumed, Topology
from tests.unit.fakes.harness import Harness, MatchingHarness, NotificationsHarness, ReferralsHarness

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
HARNESSES: dict[str, type[Harness]] = {
    "referrals": ReferralsHarness,
    "matching": MatchingHarness,
    "notifications": NotificationsHarness,
}


@pytest.mark.parametrize("service", list(TOPOLOGIES))
def test_the_wired_service_consumes_exactly_what_its_topology_says(service: str) -> None:
    topology, harness = TOPOLOGIES[service], HARNESSES[service]()
    assert [(r.topic, r.model, r.group) for r in harness.routes] == [
        (c.topic.name, c.model, c.group) for c in topology.consumes
    ]


@pytest.mark.parametrize("service", list(TOPOLOGIES))
def test_every_projection_reads_a_topic_the_service_may_read_and_every_replay_is_projected(service: str) -> None:
    topology, table = TOPOLOGIES[service], HARNESSES[service]().table
    readable = {t.name for t in topology.reads()} | {p.topic.name for p in topology.publishes if p.pattern}
    projected = {p.topic for p in table}
    assert {p.topic.replace("*", "{partner_id}") for p in table} <= readable
    assert {t.name for t in topology.replays} <= projected


@pytest.mark.parametrize("service", list(TOPOLOGIES))
def test_the_committed_asyncapi_document_has_the_topologys_channels_and_no_other(service: str) -> None:
    topology = TOPOLOGIES[service]
    document = json.loads((ROOT / "deploy" / "asyncapi" / f"{service}.json").read_text())
    actions: dict[str, set[str]] = {"send": set(), "receive": set()}
    for operation in document["operations"].values():
        address = document["channels"][operation["channel"]["$ref"].split("/")[-1]]["address"]
        actions[operation["action"]].add(address)
    published = {p.topic.name for p in topology.publishes} | {t.name for t in OPS_OUT}
    assert actions["send"] == published
    assert actions["receive"] == {c.topic.name for c in topology.consumes}


@pytest.mark.parametrize("service", list(TOPOLOGIES))
def test_the_kafka_user_may_write_what_the_topology_publishes_and_read_what_it_reads(service: str) -> None:
    topology = TOPOLOGIES[service]
    acls = service_user(service)["spec"]["authorization"]["acls"]

    def named(operation: str, kind: str) -> set[str]:
        return {a["resource"]["name"] for a in acls if a["resource"]["type"] == kind and operation in a["operations"]}

    literal_writes = {a["resource"]["name"] for a in acls if "Write" in a["operations"]
                      and a["resource"]["patternType"] == "literal"}  # fmt: skip
    assert literal_writes == {t.name for t in topology.writes()}
    assert named("Read", "topic") >= {t.name for t in topology.reads()}
    assert named("Read", "group") == set(topology.groups())


def test_every_group_is_one_services_and_every_consumed_topic_exists() -> None:
    groups = consumer_groups()
    assert sum(len(t.consumes) for t in TOPOLOGIES.values()) == len(groups)
    assert set(groups.values()) <= {t.name for t in FIXED_TOPICS}
    for service, topology in TOPOLOGIES.items():
        assert all(group.startswith(f"{service}.") for group in topology.groups())


def test_a_reaction_the_topology_names_but_no_handler_provides_fails_when_wired() -> None:
    topology = Topology("x", (), (Consumed(REFERRAL_EVENT, ReferralEvent, "x.events", "react"),))
    with pytest.raises(KeyError, match="no handler for"):
        topology.routes(ProjectionTable([]), lambda: None, {})  # type: ignore[arg-type, return-value]

    async def spare(event: Any, attributes: CloudEventAttributes) -> None: ...

    with pytest.raises(KeyError, match="in no consumed topic"):
        topology.routes(ProjectionTable([]), lambda: None, {"react": spare, "spare": spare})  # type: ignore[arg-type, return-value]


async def test_a_handler_gets_its_dependencies_by_name_and_a_missing_one_fails_when_wired() -> None:
    seen: list[tuple[str, int]] = []

    async def count(event: str, counter: int, attributes: CloudEventAttributes) -> None:
        seen.append((event, counter + len(attributes.subject or "")))

    reaction = inject(count, {"counter": 1, "unused": object()})
    attributes = new_attributes("t", "/test", subject="k")
    await reaction("hello", attributes)
    assert seen == [("hello", 2)]
    with pytest.raises(KeyError, match=r"count needs \['counter'\]"):
        inject(count, {})


def test_the_topology_tables_of_docs_architecture_are_those_of_the_code() -> None:
    committed = ARCHITECTURE.read_text()
    assert render_architecture(committed) == committed, "run `make asyncapi`"
    for topology in TOPOLOGIES.values():
        assert all(f"`{c.group}`" in committed for c in topology.consumes)
