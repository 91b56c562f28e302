"""deploy/kubernetes/, generated from the code: topics from shared/contract/topics.py, consumer groups and access
from the services' topologies, partners from the catalogue. `make manifests` writes them; a test fails on drift.

The custom resources are written for the operator versions pinned below (deploy/README.md installs those):
Strimzi's `kafka.strimzi.io/v1` API, the only one Strimzi serves since 1.0, and KEDA's `keda.sh/v1alpha1`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from passerelle.catalogue import load_catalogue
from passerelle.topologies import TOPOLOGIES
from shared.contract.topics import (
    FIXED_TOPICS,
    TopicSpec,
    partner_candidates_topic,
)

OUT_DIR = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"
NAMESPACE = "passerelle"
CLUSTER = "passerelle"
IMAGE = "ghcr.io/passerelle/passerelle:0.1.0"
STRIMZI_VERSION = "1.2.0"
KEDA_VERSION = "2.20.2"
STRIMZI_API = "kafka.strimzi.io/v1"
KEDA_API = "keda.sh/v1alpha1"
# A Kafka version Strimzi 1.2.0 supports, and its KRaft metadata version: set, not left to the operator's
# default, so that upgrading the operator does not upgrade the brokers by itself.
KAFKA_VERSION = "4.3.1"
KAFKA_METADATA_VERSION = "4.3-IV0"
REPLICAS = 3
MIN_INSYNC = 2

# Least privilege, from each service's topology: what it writes and reads; the rest is refused by the cluster.
ACCESS: dict[str, dict[str, tuple[TopicSpec, ...]]] = {
    name: {"write": topology.writes(), "read": topology.reads()} for name, topology in TOPOLOGIES.items()
}
HTTP = {name: topology.serves_http for name, topology in TOPOLOGIES.items()}
RESOURCES = {
    "referrals": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "matching": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
    "notifications": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
}
TOPIC_BY_NAME = {t.name: t for t in FIXED_TOPICS}


def _k8s_name(topic: str) -> str:
    return topic.replace(".", "-").replace("_", "-")


def _groups_of(service: str) -> dict[str, str]:
    return TOPOLOGIES[service].groups()


def kafka_cluster() -> list[dict[str, Any]]:
    return [
        {"apiVersion": STRIMZI_API, "kind": "KafkaNodePool",
         "metadata": {"name": "brokers", "namespace": NAMESPACE, "labels": {"strimzi.io/cluster": CLUSTER}},
         "spec": {"replicas": REPLICAS, "roles": ["controller", "broker"],
                  "storage": {"type": "jbod", "volumes": [
                      {"id": 0, "type": "persistent-claim", "size": "100Gi", "deleteClaim": False}]}}},
        # v1 knows only KRaft and node pools (no `strimzi.io/kraft` or `node-pools` annotation, no ZooKeeper):
        # replicas and storage are the pool's above, not `spec.kafka`'s.
        {"apiVersion": STRIMZI_API, "kind": "Kafka", "metadata": {"name": CLUSTER, "namespace": NAMESPACE},
         "spec": {"kafka": {
             "version": KAFKA_VERSION, "metadataVersion": KAFKA_METADATA_VERSION,
             "listeners": [{"name": "tls", "port": 9093, "type": "internal", "tls": True,
                            "authentication": {"type": "scram-sha-512"}}],
             "authorization": {"type": "simple"},
             "config": {"default.replication.factor": REPLICAS, "min.insync.replicas": MIN_INSYNC,
                        "offsets.topic.replication.factor": REPLICAS,
                        "transaction.state.log.replication.factor": REPLICAS,
                        "transaction.state.log.min.isr": MIN_INSYNC, "auto.create.topics.enable": False}},
             "entityOperator": {"topicOperator": {}, "userOperator": {}}}},
    ]  # fmt: skip


def kafka_topic(spec: TopicSpec) -> dict[str, Any]:
    config: dict[str, Any] = {**spec.config(), "min.insync.replicas": MIN_INSYNC}
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaTopic",
        "metadata": {"name": _k8s_name(spec.name), "namespace": NAMESPACE, "labels": {"strimzi.io/cluster": CLUSTER}},
        "spec": {"topicName": spec.name, "partitions": spec.partitions, "replicas": REPLICAS, "config": config},
    }


def _acl(kind: str, name: str, operations: list[str], pattern: str = "literal") -> dict[str, Any]:
    return {"resource": {"type": kind, "name": name, "patternType": pattern}, "operations": operations}


def service_user(service: str) -> dict[str, Any]:
    access = ACCESS[service]
    acls = [_acl("topic", t.name, ["Write", "Describe"]) for t in access["write"]]
    acls += [_acl("topic", t.name, ["Read", "Describe"]) for t in access["read"]]
    acls += [_acl("group", g, ["Read"]) for g in _groups_of(service)]
    for entry in TOPOLOGIES[service].publishes:
        if entry.pattern:  # one topic per partner, read back to rebuild the delivery log after a Redis loss
            prefix = entry.topic.name.split("{")[0]
            acls.append(_acl("topic", prefix, ["Write", "Read", "Describe"], pattern="prefix"))
    return _user(service, acls)


def partner_user(partner_id: str) -> dict[str, Any]:
    """A partner reads its own candidates topic, with consumer groups of its own prefix, and nothing else."""
    topic = partner_candidates_topic(partner_id).name
    acls = [_acl("topic", topic, ["Read", "Describe"]), _acl("group", f"partner-{partner_id}", ["Read"], "prefix")]
    return _user(f"partner-{partner_id}", acls)


def _user(name: str, acls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaUser",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"strimzi.io/cluster": CLUSTER}},
        "spec": {"authentication": {"type": "scram-sha-512"}, "authorization": {"type": "simple", "acls": acls}},
    }


def partners() -> list[str]:
    return sorted({o.partner_id for o in load_catalogue()})


def deployment(service: str) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": "passerelle", "app.kubernetes.io/component": service}
    probe = {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 10, "timeoutSeconds": 3}
    env = [
        {"name": "KAFKA_SASL_USERNAME", "value": service},
        {"name": "KAFKA_SASL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": service, "key": "password"}}},
        {"name": "INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    if service == "referrals":  # secrets the operator creates (deploy/README.md); optional, so that a missing
        # one reaches the service, which refuses to start naming it, rather than a pod stuck without a reason
        for name, secret, key in SECRETS:
            env.append({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key, "optional": True}}})
    documents: list[dict[str, Any]] = [{
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": service, "namespace": NAMESPACE, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
                     "containers": [{
                         "name": service, "image": IMAGE, "command": ["python", "-m", f"services.{service}"],
                         "ports": [{"containerPort": 8000, "name": "http"}],
                         "envFrom": [{"configMapRef": {"name": "passerelle-config"}}], "env": env,
                         "readinessProbe": probe, "livenessProbe": {**probe, "initialDelaySeconds": 20},
                         "resources": RESOURCES[service],
                         "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True}}]}}},
    }]  # fmt: skip
    if HTTP[service]:
        metadata = {"name": service, "namespace": NAMESPACE, "labels": labels}
        documents.append({
            "apiVersion": "v1", "kind": "Service", "metadata": metadata,
            "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": 8000}]},
        })  # fmt: skip
    return documents


def scaled_object(service: str) -> dict[str, Any]:
    """KEDA scales a service on its lag, never beyond the partitions its busiest group reads."""
    groups = _groups_of(service)
    max_replicas = max(TOPIC_BY_NAME[topic].partitions for topic in groups.values())
    triggers = [
        {"type": "kafka", "metadata": {"bootstrapServers": f"{CLUSTER}-kafka-bootstrap:9093", "consumerGroup": g,
                                        "topic": t, "lagThreshold": "100", "sasl": "scram_sha512", "tls": "enable"},
         "authenticationRef": {"name": f"{service}-kafka"}}
        for g, t in sorted(groups.items())
    ]  # fmt: skip
    return {
        "apiVersion": KEDA_API, "kind": "ScaledObject",
        "metadata": {"name": service, "namespace": NAMESPACE},
        "spec": {"scaleTargetRef": {"name": service}, "minReplicaCount": 1, "maxReplicaCount": max_replicas,
                 "triggers": triggers},
    }  # fmt: skip


def trigger_authentication(service: str) -> dict[str, Any]:
    return {
        "apiVersion": KEDA_API, "kind": "TriggerAuthentication",
        "metadata": {"name": f"{service}-kafka", "namespace": NAMESPACE},
        # The password is Strimzi's KafkaUser secret; the username secret is created with the release; the CA is
        # the cluster CA Strimzi signs the brokers' certificates with (KEDA would not trust them otherwise).
        "spec": {"secretTargetRef": [{"parameter": "username", "name": f"{service}-keda", "key": "username"},
                                     {"parameter": "password", "name": service, "key": "password"},
                                     {"parameter": "ca", "name": f"{CLUSTER}-cluster-ca-cert", "key": "ca.crt"}]},
    }  # fmt: skip


SECRETS = (  # (variable, Secret, key): created by the operator, never shipped with a placeholder value
    ("ADMIN_TOKEN", "passerelle-admin", "token"),
    ("SESSION_SECRET", "passerelle-admin", "session"),
    ("MASTER_KEY", "passerelle-master-key", "key"),
)


def platform() -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": "passerelle", "app.kubernetes.io/component": "redis"}
    cache_labels = {"app.kubernetes.io/name": "passerelle", "app.kubernetes.io/component": "redis-cache"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "passerelle-config", "namespace": NAMESPACE},
         "data": {"KAFKA_BOOTSTRAP_SERVERS": f"{CLUSTER}-kafka-bootstrap:9093", "KAFKA_USE_TLS": "true",
                  "KAFKA_REPLICATION_FACTOR": str(REPLICAS), "KAFKA_MANAGE_TOPICS": "false",
                  "REDIS_URL": "redis://redis:6379/0", "CACHE_REDIS_URL": "redis://redis-cache:6379/0",
                  "ENVIRONMENT": "production", "LOG_FORMAT": "json",
                  "HTTP_HOST": "0.0.0.0", "HTTP_PORT": "8000"}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis", "namespace": NAMESPACE},
         "spec": {"serviceName": "redis", "replicas": 1, "selector": {"matchLabels": labels}, "template": {
             "metadata": {"labels": labels},
             "spec": {"containers": [{"name": "redis", "image": "redis:7.4-alpine",
                                      "command": ["redis-server", "--appendonly", "yes", "--appendfsync", "everysec"],
                                      "ports": [{"containerPort": 6379, "name": "redis"}],
                                      "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}},
                                      "resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                                                    "limits": {"memory": "2Gi"}},
                                      "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
             "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                 "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "redis", "namespace": NAMESPACE},
         "spec": {"selector": labels, "ports": [{"name": "redis", "port": 6379}]}},
        # Sessions, sign-in throttles, Idempotency-Key records: a memory limit and eviction, apart from the state.
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "redis-cache", "namespace": NAMESPACE},
         "spec": {"replicas": 1, "selector": {"matchLabels": cache_labels}, "template": {
             "metadata": {"labels": cache_labels},
             "spec": {"containers": [{"name": "redis", "image": "redis:7.4-alpine",
                                      "command": ["redis-server", "--maxmemory", "256mb", "--maxmemory-policy",
                                                  "volatile-ttl", "--save", "", "--appendonly", "no"],
                                      "ports": [{"containerPort": 6379, "name": "redis"}],
                                      "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}},
                                      "resources": {"requests": {"cpu": "100m", "memory": "300Mi"},
                                                    "limits": {"memory": "320Mi"}}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "redis-cache", "namespace": NAMESPACE},
         "spec": {"selector": cache_labels, "ports": [{"name": "redis", "port": 6379}]}},
    ]  # fmt: skip


def files() -> dict[str, list[dict[str, Any]]]:
    services = list(ACCESS)
    return {
        "00-platform.yaml": platform(),
        "10-kafka.yaml": kafka_cluster(),
        "20-topics.yaml": [kafka_topic(t) for t in FIXED_TOPICS]
        + [kafka_topic(partner_candidates_topic(p)) for p in partners()],
        "30-users.yaml": [service_user(s) for s in services] + [partner_user(p) for p in partners()],
        "40-services.yaml": [d for s in services for d in deployment(s)],
        "50-autoscaling.yaml": [d for s in services for d in (trigger_authentication(s), scaled_object(s))],
    }


def render(documents: list[dict[str, Any]]) -> str:
    header = (
        "# Generated by `make manifests` from shared/contract/topics.py, the services and the catalogue: do not edit.\n"
        f"# For Strimzi {STRIMZI_VERSION} and KEDA {KEDA_VERSION} (deploy/README.md).\n"
    )
    return header + yaml.safe_dump_all(documents, sort_keys=True, default_flow_style=False)


def write(directory: Path = OUT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, documents in files().items():
        path = directory / name
        path.write_text(render(documents))
        paths.append(path)
    return paths
