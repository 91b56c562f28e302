"""Building a FastStream Kafka broker and the subscriber options every consumer uses."""

from __future__ import annotations

import asyncio
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


class KafkaBrokerJoiningTogether(KafkaBroker):
    """FastStream starts its subscribers one after the other, and each start waits until its consumer group
    is joined (3 s on Tansu, the initial rebalance delay on Kafka). Every route has a group of its own, so
    the joins are independent: started together, a service with four subscribers is ready in one join."""

    async def start(self) -> None:
        await self.connect()
        await asyncio.gather(*(subscriber.start() for subscriber in self.subscribers))
        for publisher in self.publishers:
            await publisher.start()
        self.running = True


def make_broker(settings: ServiceSettings, client_id: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    """A broker for `settings`; producers wait for all in-sync replicas. A service passes its telemetry
    middlewares (`shared.observability.telemetry.broker_middlewares`); tools pass none."""
    security = None
    if settings.kafka_sasl_username and settings.kafka_sasl_password:
        security = SASLScram512(
            settings.kafka_sasl_username,
            settings.kafka_sasl_password.get_secret_value(),
            use_ssl=settings.kafka_use_tls,
        )
    return KafkaBrokerJoiningTogether(
        settings.kafka_bootstrap_servers,
        client_id=f"{client_id}-{settings.instance_id}",
        acks="all",
        apply_types=False,  # our one subscriber function takes the decoded batch as is (shared.messaging.consuming)
        security=security,
        logger=logging.getLogger(f"faststream.{client_id}"),
        # FastStream's "Received"/"Processed" per batch; ours says more (shared.messaging.consuming)
        log_level=logging.DEBUG,
        middlewares=tuple(middlewares),
    )


async def parse_any_headers(
    records: tuple[ConsumerRecord[Any, Any], ...],
    parse: Callable[[tuple[ConsumerRecord[Any, Any], ...]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream's parser decodes every header as UTF-8 and fails the whole batch when one is not: parse
    copies whose headers are made text, and hand the middleware the original records, so that our poison
    check sees the real bytes and dead-letters that record alone with the reason."""
    try:
        return await parse(records)
    except UnicodeDecodeError:
        message = await parse(tuple(_readable(record) for record in records))
        message.raw_message = records
        return message


def _readable(record: ConsumerRecord[Any, Any]) -> ConsumerRecord[Any, Any]:
    readable = [(name, value.decode(errors="backslashreplace").encode()) for name, value in record.headers]
    return dataclasses.replace(record, headers=readable)


def consumer_options(settings: ServiceSettings, group_id: str) -> dict[str, Any]:
    """Batches, at-least-once: up to `kafka_batch_max_records` records at a time (from any of the
    partitions this process owns), committed once the whole batch is handled, rewound on an exception
    (`shared.messaging.consuming.subscribe` adds the middleware that judges each record and the decoder)."""
    return {
        "group_id": group_id,
        "batch": True,
        "max_records": settings.kafka_batch_max_records,
        "batch_timeout_ms": settings.kafka_fetch_max_wait_ms,
        "fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "parser": parse_any_headers,
    }
