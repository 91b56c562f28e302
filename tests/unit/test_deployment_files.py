"""The deployment files agree with the code and with their schemas, checked without a cluster."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from passerelle import kubernetes_manifests as k8s
from passerelle.catalogue import load_catalogue
from passerelle.topologies import consumer_groups
from shared.contract.topics import FIXED_TOPICS, partner_candidates_topic
from tests.unit import custom_resources as crd

ROOT = Path(__file__).resolve().parents[2]
CORE_KINDS = {"Namespace", "ConfigMap", "Deployment", "Service", "StatefulSet"}  # the operator creates the Secrets
# Strimzi's and KEDA's custom resources have no schema in kubernetes-validate: tests/unit/custom_resources.py
# restates their CRDs at the pinned operator versions.
CUSTOM_KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "ScaledObject", "TriggerAuthentication"}


def _committed() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


@pytest.mark.parametrize("name", sorted(k8s.files()))
def test_the_committed_manifests_are_the_generated_ones(name: str) -> None:
    committed = (ROOT / "deploy" / "kubernetes" / name).read_text()
    assert committed == k8s.render(k8s.files()[name]), f"deploy/kubernetes/{name} drifted: run `make manifests`"


def test_core_resources_validate_against_the_kubernetes_schemas() -> None:
    documents = [d for d in _committed() if d["kind"] in CORE_KINDS]
    assert {d["kind"] for d in documents} == CORE_KINDS
    for document in documents:
        kubernetes_validate.validate(document, "1.37.0", strict=True)
    assert {d["kind"] for d in _committed()} <= CORE_KINDS | CUSTOM_KINDS


def test_custom_resources_validate_against_the_pinned_operators_crds() -> None:
    documents = [d for d in _committed() if d["kind"] in CUSTOM_KINDS]
    assert {d["kind"] for d in documents} == CUSTOM_KINDS == set(crd.KINDS)
    found = {f"{d['kind']}/{d['metadata']['name']}": crd.problems(d) for d in documents}
    assert found == {name: [] for name in found}
    assert crd.kafka_scaler_problems(documents) == []


def test_the_crds_described_are_those_of_the_operators_the_manifests_and_readme_pin() -> None:
    assert (k8s.STRIMZI_VERSION, k8s.KEDA_VERSION) == (crd.STRIMZI_VERSION, crd.KEDA_VERSION)
    readme = (ROOT / "deploy" / "README.md").read_text()
    assert f"Strimzi {crd.STRIMZI_VERSION}" in readme and f"--version {crd.STRIMZI_VERSION}" in readme
    assert f"KEDA {crd.KEDA_VERSION}" in readme and f"--version {crd.KEDA_VERSION}" in readme
    [kafka] = [d["spec"]["kafka"] for d in _committed() if d["kind"] == "Kafka"]
    assert crd.STRIMZI_KAFKA_VERSIONS.get(kafka.get("version", "unset")) == kafka["metadataVersion"]


def _refused(
    document: dict[str, Any], path: tuple[str | int, ...] = (), drop: tuple[str, ...] = (), **fields: Any
) -> str:
    """What the rules say of `document` with, at `path`, the keys `drop` removed and `fields` set."""
    changed = copy.deepcopy(document)
    target: Any = changed
    for step in path:
        target = target[step]
    for key in drop:
        del target[key]
    target.update(fields)
    return " | ".join(crd.problems(changed))


def test_the_rules_refuse_what_v1beta2_allowed_and_what_no_crd_declares() -> None:
    documents = {d["kind"]: d for d in _committed() if d["kind"] in CUSTOM_KINDS}
    kafka, user, topic, scaled = (documents[k] for k in ("Kafka", "KafkaUser", "KafkaTopic", "ScaledObject"))

    assert "'kafka.strimzi.io/v1' was expected" in _refused(user, apiVersion="kafka.strimzi.io/v1beta2")
    singular = _refused(user, ("spec", "authorization", "acls", 0), drop=("operations",), operation="Read")
    assert "'operations' is a required property" in singular and "'operation' was unexpected" in singular
    assert "'replicas' was unexpected" in _refused(kafka, ("spec", "kafka"), replicas=3)
    assert "'zookeeper' was unexpected" in _refused(kafka, ("spec",), zookeeper={"replicas": 3})
    assert "'opa' is not one of" in _refused(kafka, ("spec", "kafka", "authorization"), type="opa")
    assert "'Tls' does not match" in _refused(kafka, ("spec", "kafka", "listeners", 0), name="Tls")
    assert "'spec' is a required property" in _refused(topic, drop=("spec",))
    assert "0 is less than the minimum of 1" in _refused(topic, ("spec",), partitions=0)
    assert "'keda.sh/v1alpha1' was expected" in _refused(scaled, apiVersion="keda.sh/v1")
    assert "less than or equal to maxReplicaCount" in _refused(scaled, ("spec",), minReplicaCount=99)
    assert crd.problems({**kafka, "kind": "KafkaMirrorMaker2"}) == [
        "kind 'KafkaMirrorMaker2': no CRD of the pinned operators is described here"
    ]
    typo = copy.deepcopy(scaled)
    typo["spec"]["triggers"][0]["metadata"]["lagTreshold"] = "100"
    authentications = [d for d in _committed() if d["kind"] == "TriggerAuthentication"]
    assert "'lagTreshold' was unexpected" in " | ".join(crd.kafka_scaler_problems([typo, *authentications]))


def test_every_topic_of_the_code_is_declared_with_its_partitions_and_policy() -> None:
    declared = {d["spec"]["topicName"]: d["spec"] for d in _committed() if d["kind"] == "KafkaTopic"}
    for spec in FIXED_TOPICS:
        topic = declared[spec.name]
        assert topic["partitions"] == spec.partitions
        assert topic["replicas"] == 3 and topic["config"]["min.insync.replicas"] == 2
        assert topic["config"]["cleanup.policy"] == ("compact" if spec.compacted else "delete")
    for partner in {o.partner_id for o in load_catalogue()}:
        assert partner_candidates_topic(partner).name in declared


def test_the_cluster_has_three_brokers_and_requires_two_in_sync_replicas() -> None:
    [kafka] = [d for d in _committed() if d["kind"] == "Kafka"]
    [pool] = [d for d in _committed() if d["kind"] == "KafkaNodePool"]
    assert pool["spec"]["replicas"] == 3
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}  # KRaft: the pool holds the controllers too
    # Ignored since Strimzi 0.48, where KRaft and node pools became the only mode: nothing to switch on.
    assert not {"strimzi.io/kraft", "strimzi.io/node-pools"} & set(kafka["metadata"].get("annotations", {}))


def test_a_partner_user_may_read_its_own_topic_and_nothing_else() -> None:
    users = {d["metadata"]["name"]: d for d in _committed() if d["kind"] == "KafkaUser"}
    for partner in {o.partner_id for o in load_catalogue()}:
        acls = users[f"partner-{partner}"]["spec"]["authorization"]["acls"]
        topics = [a for a in acls if a["resource"]["type"] == "topic"]
        assert topics == [{"resource": {"type": "topic", "name": partner_candidates_topic(partner).name,
                                        "patternType": "literal"}, "operations": ["Read", "Describe"]}]  # fmt: skip
        assert all("Write" not in a["operations"] for a in acls)


def test_services_read_only_what_they_consume_and_own_their_groups() -> None:
    users = {d["metadata"]["name"]: d for d in _committed() if d["kind"] == "KafkaUser"}
    for group, topic in consumer_groups().items():
        service = group.split(".")[0]
        acls = users[service]["spec"]["authorization"]["acls"]
        assert {"resource": {"type": "group", "name": group, "patternType": "literal"}, "operations": ["Read"]} in acls
        assert any(a["resource"]["name"] == topic and "Read" in a["operations"] for a in acls)
    matching = users["matching"]["spec"]["authorization"]["acls"]
    assert not any(a["resource"]["name"].startswith("partner.") for a in matching)


def test_autoscaling_never_exceeds_the_partitions_a_group_reads() -> None:
    partitions = {t.name: t.partitions for t in FIXED_TOPICS}
    for scaled in (d for d in _committed() if d["kind"] == "ScaledObject"):
        topics = [t["metadata"]["topic"] for t in scaled["spec"]["triggers"]]
        assert scaled["spec"]["maxReplicaCount"] <= max(partitions[t] for t in topics)
        assert scaled["spec"]["minReplicaCount"] >= 1


def test_deployments_have_probes_resources_and_run_as_non_root() -> None:
    services = {"referrals", "matching", "notifications"}  # the cache's Redis is Redis's own image
    for deployment in (d for d in _committed() if d["kind"] == "Deployment" and d["metadata"]["name"] in services):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/health"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["resources"]["limits"] and container["resources"]["requests"]
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_the_compose_file_runs_kafka_redis_topics_and_the_services_in_order() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"kafka", "redis", "cache", "topics", "referrals", "matching", "notifications"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert "--appendonly" in services["redis"]["command"] and "healthcheck" in services["redis"]
    assert services["topics"]["command"] == ["passerelle", "topics"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("referrals", "matching", "notifications"):
        service = services[name]
        assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["depends_on"]["cache"]["condition"] == "service_healthy"
        assert service["command"] == ["python", "-m", f"services.{name}"]
        assert (ROOT / service["env_file"]).exists()
    env = dict(line.split("=", 1) for line in (ROOT / "deploy/passerelle.env").read_text().splitlines()
               if line and not line.startswith("#"))  # fmt: skip
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092" and env["REDIS_URL"].startswith("redis://redis:")


def test_the_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER passerelle" in dockerfile and "HEALTHCHECK" in dockerfile
    assert dockerfile.startswith("# ") and "FROM python:3.11.7-slim-bookworm" in dockerfile
