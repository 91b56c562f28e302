"""Building a FastStream Kafka broker and the subscriber options every consumer uses."""

from __future__ import annotations

import logging
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from faststream.security import SASLScram512

from shared.settings import ServiceSettings


def make_broker(settings: ServiceSettings, client_id: str) -> KafkaBroker:
    """A broker for `settings`; producers wait for all in-sync replicas."""
    security = None
    if settings.kafka_sasl_username and settings.kafka_sasl_password:
        security = SASLScram512(
            settings.kafka_sasl_username,
            settings.kafka_sasl_password.get_secret_value(),
            use_ssl=settings.kafka_use_tls,
        )
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"{client_id}-{settings.instance_id}",
        acks="all",
        security=security,
        logger=logging.getLogger(f"faststream.{client_id}"),
    )


async def keep_raw_body(msg: StreamMessage[Any]) -> bytes:
    """Decoder that leaves the body as bytes, so poison is judged by our code, not the framework."""
    return msg.body


def consumer_options(settings: ServiceSettings, group_id: str, partitions: int = 1) -> dict[str, Any]:
    """At-least-once: commit after the handler succeeds, rewind on an exception. With several partitions,
    up to `kafka_consumers_per_topic` consumers of the group share them in this process (FastStream's
    concurrent-between-partitions subscriber), each committing its own partitions' offsets."""
    return {
        "group_id": group_id,
        "max_workers": max(1, min(settings.kafka_consumers_per_topic, partitions)),
        "fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "decoder": keep_raw_body,
    }
