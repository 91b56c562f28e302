"""Sending what cannot be processed to `ops.dlq.v1`: the original bytes, where they came from, why."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from faststream.kafka import KafkaBroker

from shared.contract.topics import OPS_DLQ
from shared.observability.metering import Meter
from shared.observability.telemetry import TRACE_HEADERS

log = logging.getLogger(__name__)

DLQ_TOPIC_HEADER = "dlq_original_topic"
DLQ_PARTITION_HEADER = "dlq_original_partition"
DLQ_OFFSET_HEADER = "dlq_original_offset"
DLQ_ERROR_HEADER = "dlq_error"
DLQ_SERVICE_HEADER = "dlq_service"
DLQ_ORIGINAL_PREFIX = "dlq_original_"  # + a trace header: publishing the dead letter writes its own
MAX_ERROR_CHARS = 2000


class ConsumedRecord(Protocol):
    """What a dead letter needs of the message that failed (an aiokafka record, or a webhook failure)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


class DeadLetters:
    """Publishes a dead letter; the original headers are kept so a fixed message can be replayed as is."""

    def __init__(self, broker: KafkaBroker, service: str, meter: Meter | None = None) -> None:
        self._publisher = broker.publisher(
            OPS_DLQ.name,
            schema=bytes,
            description=(
                "A message this service could not process: the original bytes and headers, with "
                f"{DLQ_TOPIC_HEADER}, {DLQ_PARTITION_HEADER}, {DLQ_OFFSET_HEADER} (where it came from), "
                f"{DLQ_ERROR_HEADER} (why) and {DLQ_SERVICE_HEADER} (who gave up on it)"
            ),
        )
        self._service = service
        self.meter = meter

    async def send(self, record: ConsumedRecord, reason: str) -> None:
        # Header values must be text to be published: bytes that are not UTF-8 are kept visible, escaped.
        headers = {name: value.decode(errors="backslashreplace") for name, value in record.headers or ()}
        # The dead letter is published in the trace of the handling that gave up: the original message's
        # trace headers are kept beside it (dlq_original_traceparent, …).
        headers.update({DLQ_ORIGINAL_PREFIX + name: headers[name] for name in TRACE_HEADERS if name in headers})
        headers.update(
            {
                DLQ_TOPIC_HEADER: record.topic,
                DLQ_PARTITION_HEADER: str(record.partition),
                DLQ_OFFSET_HEADER: str(record.offset),
                DLQ_ERROR_HEADER: reason[:MAX_ERROR_CHARS],
                DLQ_SERVICE_HEADER: self._service,
            }
        )
        await self._publisher.publish(record.value or b"", key=record.key, headers=headers)
        if self.meter is not None:
            self.meter.dead_lettered(record.topic, reason)
        log.warning(
            "message dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason[:200],
            },
        )
