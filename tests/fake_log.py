"""Topics in memory, for tests that need a log but no broker: what was published, in order, readable
back as `rebuild_from_log` reads Kafka."""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from shared.contract.cloudevents import CloudEventAttributes, new_attributes
from shared.contract.events.envelope import Event
from shared.messaging.projections import LoggedRecord
from shared.messaging.topic_reading import Progress


@dataclass
class RecordedEvent:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class MemoryEventLog:
    def __init__(self) -> None:
        self.records_by_topic: dict[str, list[RecordedEvent]] = {}
        self._clock = itertools.count(1)

    def publisher(self, topic: str, source: str = "/passerelle/test") -> MemoryPublisher:
        return MemoryPublisher(self, topic, source)

    def append(self, topic: str, key: str | None, event: Event, attributes: CloudEventAttributes) -> None:
        kept = self.records_by_topic.setdefault(topic, [])
        headers = [(name, value.encode()) for name, value in attributes.as_headers().items()]
        body = event.model_dump_json().encode()
        kept.append(RecordedEvent(topic, 0, len(kept), next(self._clock), key.encode() if key else None, body, headers))

    def append_tombstone(self, topic: str, key: str) -> None:
        kept = self.records_by_topic.setdefault(topic, [])
        kept.append(RecordedEvent(topic, 0, len(kept), next(self._clock), key.encode(), None, []))

    def events(self, topic: str) -> list[RecordedEvent]:
        return list(self.records_by_topic.get(topic, []))

    async def topics(self, patterns: Sequence[str]) -> list[str]:
        return [t for t in self.records_by_topic if any(fnmatch.fnmatchcase(t, p) for p in patterns)]

    async def records(self, topic: str, progress: Progress | None = None) -> list[LoggedRecord]:
        records = list(self.records_by_topic.get(topic, []))
        if progress is not None:  # as the Kafka reader reports: nothing read yet, then all of it
            progress(0, len(records))
            progress(len(records), len(records))
        return list(records)


class MemoryPublisher:
    """Stands in for an EventPublisher: appends to the memory log instead of a topic."""

    def __init__(self, log: MemoryEventLog, topic: str, source: str) -> None:
        self._log = log
        self._topic = topic
        self._source = source

    @property
    def topic(self) -> str:
        return self._topic

    async def publish(
        self, event: Event, key: str, *, event_id: str | None = None, topic: str | None = None
    ) -> CloudEventAttributes:
        attributes = new_attributes(event.EVENT_TYPE, self._source, event_id=event_id, subject=key)
        self._log.append(topic or self._topic, key, event, attributes)
        return attributes

    async def tombstone(self, key: str, *, topic: str | None = None) -> None:
        self._log.append_tombstone(topic or self._topic, key)
