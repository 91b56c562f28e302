"""`passerelle ops dlq list | show | replay`: inspect dead letters and re-drive them after a fix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.contract.topics import OPS_DLQ
from shared.messaging.dead_letters import DLQ_ERROR_HEADER, DLQ_ORIGINAL_PREFIX, DLQ_SERVICE_HEADER, DLQ_TOPIC_HEADER
from shared.messaging.topic_reading import read_to_end

DLQ_HEADER_PREFIX = "dlq_"


class NoSuchDeadLetter(LookupError):
    pass


@dataclass(frozen=True)
class DeadLetter:
    id: str  # partition:offset on ops.dlq.v1
    original_topic: str
    service: str
    error: str
    key: str | None
    headers: dict[str, str]
    body: bytes

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "topic": self.original_topic, "service": self.service, "key": self.key,
                "error": self.error}  # fmt: skip

    def detail(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = self.body.decode(errors="replace")
        return self.summary() | {"headers": self.headers, "body": body}


def _from_record(record: Any) -> DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in record.headers}
    return DeadLetter(
        id=f"{record.partition}:{record.offset}",
        original_topic=headers.get(DLQ_TOPIC_HEADER, ""),
        service=headers.get(DLQ_SERVICE_HEADER, ""),
        error=headers.get(DLQ_ERROR_HEADER, ""),
        key=record.key.decode(errors="replace") if record.key else None,
        headers=headers,
        body=record.value or b"",
    )


async def list_dead_letters(bootstrap: str) -> list[DeadLetter]:
    records = await read_to_end(bootstrap, OPS_DLQ.name)
    return [_from_record(r) for r in sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))]


async def find(bootstrap: str, dead_letter_id: str) -> DeadLetter:
    for letter in await list_dead_letters(bootstrap):
        if letter.id == dead_letter_id:
            return letter
    raise NoSuchDeadLetter(f"no dead letter {dead_letter_id} on {OPS_DLQ.name} (ids are partition:offset)")


async def replay(bootstrap: str, dead_letter_id: str) -> DeadLetter:
    """Publish the original bytes, key and headers to the original topic; handlers are idempotent."""
    letter = await find(bootstrap, dead_letter_id)
    if not letter.original_topic or letter.original_topic.startswith("webhook:"):
        raise NoSuchDeadLetter(
            f"{dead_letter_id} is not a Kafka message (a failed webhook: ask the partner's re-delivery endpoint)"
        )
    kept = {k: v for k, v in letter.headers.items() if not k.startswith(DLQ_HEADER_PREFIX)}
    original = DLQ_ORIGINAL_PREFIX
    kept |= {k.removeprefix(original): v for k, v in letter.headers.items() if k.startswith(original)}
    headers = [(k, v.encode()) for k, v in kept.items()]  # with the original message's trace headers
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            letter.original_topic, letter.body, key=letter.key.encode() if letter.key else None, headers=headers
        )
    finally:
        await producer.stop()
    return letter
