"""Strimzi's and KEDA's custom resources as the pinned operators' CRDs define them, for the manifests' test.

Written by reading the CRDs' `openAPIV3Schema` of Strimzi 1.2.0 (install/cluster-operator/040-Crd-kafka.yaml,
043-Crd-kafkatopic.yaml, 044-Crd-kafkauser.yaml, 045-Crd-kafkanodepool.yaml of its 1.2.0 tag) and of KEDA
2.20.2 (config/crd/bases/keda.sh_scaledobjects.yaml and keda.sh_triggerauthentications.yaml of its v2.20.2
tag): for each kind, the apiVersion the CRD serves and, for every field the manifests use, its type, bounds,
enum and which fields are required. No PyPI or npm package ships these schemas (the `@kubernetes-models`
ones ship compiled validators that accept unknown fields), so they are restated here.

The API server treats a structural schema strictly: a field the schema does not declare is pruned, and
refused under strict field validation (kubectl's default). Here too: an object accepts only the fields listed,
except where the CRD keeps unknown fields (`x-kubernetes-preserve-unknown-fields`: a Kafka cluster's and a
topic's `config`) or declares a map of strings (a trigger's `metadata`). A field the CRD has but the
manifests do not use is not listed: using it fails the test until its rule is written here from the CRD.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

STRIMZI_VERSION = "1.2.0"
KEDA_VERSION = "2.20.2"
# Strimzi 1.2.0's kafka-versions.yaml: the Kafka versions it supports, each with its KRaft metadata version.
STRIMZI_KAFKA_VERSIONS = {"4.2.0": "4.2-IV1", "4.2.1": "4.2-IV1", "4.3.0": "4.3-IV0", "4.3.1": "4.3-IV0"}

Schema = dict[str, Any]


def fields(required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    """An object with these fields and no other."""
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    return {**schema, "required": list(required)} if required else schema


def one_of(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def integer(minimum: int | None = None, maximum: int | None = None) -> Schema:
    bounds = {"minimum": minimum, "maximum": maximum}
    return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}


def int32(minimum: int) -> Schema:  # KEDA's `format: int32`
    return integer(minimum, 2**31 - 1)


def array(items: Schema, min_items: int = 0) -> Schema:
    return {"type": "array", "items": items, **({"minItems": min_items} if min_items else {})}


TEXT: Schema = {"type": "string"}
FILLED: Schema = {"type": "string", "minLength": 1}
FLAG: Schema = {"type": "boolean"}
ANYTHING: Schema = {"type": "object"}  # x-kubernetes-preserve-unknown-fields
STRINGS: Schema = {"type": "object", "additionalProperties": TEXT}

# Not in the CRDs (they declare `metadata: {type: object}`): the API server checks it as an ObjectMeta. The
# part the manifests use: a DNS-1123 name, a namespace, labels (with Kubernetes' rule for label values), annotations.
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
METADATA = fields(
    ("name",),
    name={"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253},
    namespace={"type": "string", "pattern": DNS_LABEL, "maxLength": 63},
    labels={"type": "object", "additionalProperties": {"type": "string", "pattern": LABEL_VALUE, "maxLength": 63}},
    annotations=STRINGS,
)

# Strimzi 1.2.0, kafka.strimzi.io/v1.
LISTENER = fields(
    ("name", "port", "type", "tls"),
    name={"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
    port=integer(minimum=9092),
    type=one_of("internal", "route", "tlsroute", "loadbalancer", "nodeport", "ingress", "cluster-ip"),
    tls=FLAG,
    authentication=fields(("type",), type=one_of("tls", "scram-sha-512", "custom")),
)
KAFKA = fields(
    ("kafka",),
    kafka=fields(
        ("listeners",),
        version=TEXT,
        metadataVersion=TEXT,
        listeners=array(LISTENER, min_items=1),
        authorization=fields(("type",), type=one_of("simple", "custom")),
        config=ANYTHING,
    ),
    # Both operators take options; with none given, each runs with its defaults.
    entityOperator=fields(topicOperator=fields(), userOperator=fields()),
)
VOLUME = fields(
    ("type",), id=integer(minimum=0), type=one_of("ephemeral", "persistent-claim"), size=TEXT, deleteClaim=FLAG
)
KAFKA_NODE_POOL = fields(
    ("replicas", "storage", "roles"),
    replicas=integer(minimum=0),
    roles=array(one_of("controller", "broker")),
    storage=fields(("type",), type=one_of("ephemeral", "persistent-claim", "jbod"), volumes=array(VOLUME)),
)
KAFKA_TOPIC = fields(
    topicName=TEXT, partitions=integer(minimum=1), replicas=integer(minimum=1, maximum=32767), config=ANYTHING
)
ACL_OPERATIONS = ("Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs",
                  "DescribeConfigs", "IdempotentWrite", "All")  # fmt: skip
ACL = fields(
    ("resource", "operations"),  # v1 has `operations` only: the singular `operation` of v1beta2 is gone
    resource=fields(
        ("type",),
        type=one_of("topic", "group", "cluster", "transactionalId"),
        name=TEXT,
        patternType=one_of("literal", "prefix"),
    ),
    operations=array(one_of(*ACL_OPERATIONS)),
)
KAFKA_USER = fields(
    authentication=fields(("type",), type=one_of("tls", "tls-external", "scram-sha-512")),
    authorization=fields(("acls", "type"), type=one_of("simple"), acls=array(ACL)),
)

# KEDA 2.20.2, keda.sh/v1alpha1.
TRIGGER = fields(
    ("metadata", "type"),
    type=FILLED,
    metadata=STRINGS,
    authenticationRef=fields(
        ("name",), name=TEXT, kind=one_of("TriggerAuthentication", "ClusterTriggerAuthentication")
    ),
)
SCALED_OBJECT = fields(
    ("scaleTargetRef", "triggers"),
    scaleTargetRef=fields(("name",), name=FILLED),
    minReplicaCount=int32(minimum=0),
    maxReplicaCount=int32(minimum=1),
    triggers=array(TRIGGER, min_items=1),
)
TRIGGER_AUTHENTICATION = fields(
    secretTargetRef=array(fields(("key", "name", "parameter"), parameter=TEXT, name=TEXT, key=TEXT))
)

# kind: (the one apiVersion its CRD serves, the schema of its spec). Every one of these CRDs requires `spec`.
KINDS: dict[str, tuple[str, Schema]] = {
    "Kafka": ("kafka.strimzi.io/v1", KAFKA),
    "KafkaNodePool": ("kafka.strimzi.io/v1", KAFKA_NODE_POOL),
    "KafkaTopic": ("kafka.strimzi.io/v1", KAFKA_TOPIC),
    "KafkaUser": ("kafka.strimzi.io/v1", KAFKA_USER),
    "ScaledObject": ("keda.sh/v1alpha1", SCALED_OBJECT),
    "TriggerAuthentication": ("keda.sh/v1alpha1", TRIGGER_AUTHENTICATION),
}

# KEDA 2.20.2's Kafka scaler (pkg/scalers/kafka_scaler.go) reads these trigger metadata keys, and these
# parameters from its TriggerAuthentication; the CRD leaves both free, the scaler refuses what it cannot read.
KAFKA_SCALER_METADATA = fields(
    ("bootstrapServers", "consumerGroup"),
    bootstrapServers=FILLED,
    consumerGroup=FILLED,
    topic=FILLED,
    lagThreshold={"type": "string", "pattern": "^[1-9][0-9]*$"},  # an integer, "must be positive"
    sasl=one_of("none", "plaintext", "scram_sha256", "scram_sha512", "oauthbearer", "gssapi"),
    tls=one_of("enable", "disable"),
)
KAFKA_SCALER_PARAMETERS = {"username", "password", "ca", "cert", "key", "keyPassword", "sasl", "tls"}


def resource_schema(kind: str) -> Schema:
    api_version, spec = KINDS[kind]
    return fields(
        ("apiVersion", "kind", "metadata", "spec"),
        apiVersion={"const": api_version},
        kind={"const": kind},
        metadata=METADATA,
        spec=spec,
    )


def _errors(schema: Schema, instance: Any, at: str = "") -> list[str]:
    errors = Draft202012Validator(schema).iter_errors(instance)
    return [f"{'/'.join([at, *map(str, e.absolute_path)]).strip('/') or '.'}: {e.message}" for e in errors]


def problems(document: dict[str, Any]) -> list[str]:
    """What the API server, with the pinned operators' CRDs installed, would refuse in `document`."""
    kind = document.get("kind")
    if kind not in KINDS:
        return [f"kind {kind!r}: no CRD of the pinned operators is described here"]
    found = _errors(resource_schema(kind), document)
    # The one CEL rule (x-kubernetes-validations) on fields the manifests use, on ScaledObject's spec:
    # `!has(self.minReplicaCount) || self.minReplicaCount <= (has(self.maxReplicaCount) ? self.maxReplicaCount : 100)`
    spec = document.get("spec")
    replicas = (spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)) if isinstance(spec, dict) else (0, 0)
    if kind == "ScaledObject" and replicas[0] > replicas[1]:
        found.append("spec: minReplicaCount must be less than or equal to maxReplicaCount")
    return found


def kafka_scaler_problems(documents: list[dict[str, Any]]) -> list[str]:
    """Each Kafka trigger: metadata the scaler reads, and a TriggerAuthentication of the manifests whose
    parameters the scaler knows."""
    authentications = {
        (d["metadata"].get("namespace"), d["metadata"]["name"]): d["spec"]
        for d in documents
        if d["kind"] == "TriggerAuthentication"
    }
    found = []
    for scaled in (d for d in documents if d["kind"] == "ScaledObject"):
        namespace, name = scaled["metadata"].get("namespace"), scaled["metadata"]["name"]
        for index, trigger in enumerate(scaled["spec"]["triggers"]):
            if trigger["type"] != "kafka":
                continue
            at = f"{name}/spec/triggers/{index}"
            found += _errors(KAFKA_SCALER_METADATA, trigger["metadata"], f"{at}/metadata")
            reference = trigger.get("authenticationRef", {}).get("name")
            if (namespace, reference) not in authentications:
                found.append(f"{at}/authenticationRef: no TriggerAuthentication {reference!r} in {namespace}")
                continue
            for ref in authentications[namespace, reference].get("secretTargetRef", []):
                if ref["parameter"] not in KAFKA_SCALER_PARAMETERS:
                    found.append(f"{reference}: {ref['parameter']!r} is no parameter of the Kafka scaler")
    return found
