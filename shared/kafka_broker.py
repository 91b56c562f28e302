"""Building a FastStream Kafka broker and the subscriber options every consumer uses."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from faststream.security import SASLScram512

from shared.settings import ServiceSettings


def make_broker(settings: ServiceSettings, client_id: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    """A broker for `settings`; producers wait for all in-sync replicas. A service passes its telemetry
    middlewares (`shared.telemetry.broker_middlewares`); tools pass none."""
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
        middlewares=tuple(middlewares),
    )


async def parse_any_headers(
    record: ConsumerRecord[Any, Any], parse: Callable[[ConsumerRecord[Any, Any]], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's parser decodes every header as UTF-8 and drops the record (offset committed, no handler
    call) when one is not: parse a copy whose headers are made text, and hand the handler the original
    record, so that our poison check sees the real bytes and dead-letters it with the reason."""
    try:
        return await parse(record)
    except UnicodeDecodeError:
        readable = [(name, value.decode(errors="backslashreplace").encode()) for name, value in record.headers]
        copy = dataclasses.replace(record, headers=readable)
        if hasattr(record, "consumer"):  # set by FastStream on each record: the consumer that commits it
            copy.consumer = record.consumer  # type: ignore[attr-defined]
        message = await parse(copy)
        message.raw_message = record
        return message


def consumer_options(settings: ServiceSettings, group_id: str, partitions: int = 1) -> dict[str, Any]:
    """At-least-once: commit after the handler succeeds, rewind on an exception (`shared.consuming.subscribe`
    adds the decoder of the subscriber's event model). With several partitions,
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
        "parser": parse_any_headers,
    }
