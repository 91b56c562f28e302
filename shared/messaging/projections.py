"""Projections: the only code that writes a service's Redis state, and the rebuild that replays them.

A projection turns one kind of event into state. It is idempotent per event (applying an event twice
changes nothing) and is run by the same code on every path:
- live, right after the service published the event itself (`ProjectingPublisher`: the log first, then
  the state), or when a consumer reads the event from its topic;
- after a loss of Redis, when `rebuild_from_log` reads the projections' topics back from the beginning,
  merged by time, and applies each record to the projections of its topic.

So a write that is not in a projection is a write the rebuild cannot bring back: tests compare the state
a scenario leaves with the state the rebuild makes from that scenario's log, key by key."""

from __future__ import annotations

import asyncio
import fnmatch
import heapq
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events.envelope import Event
from shared.contract.topics import TopicSpec
from shared.messaging.consuming import EventHandler, PoisonMessage, Route, decode_event
from shared.messaging.topic_reading import Progress, records_to_end, topic_names


@dataclass(frozen=True)
class Context:
    """What a projection may know about the event besides its body."""

    attributes: CloudEventAttributes
    topic: str
    key: str | None
    at: datetime  # live: the service's clock; in the rebuild: when the event happened


Apply = Callable[[Any, Context], Awaitable[object]]
Forget = Callable[[str], Awaitable[object]]


@dataclass(frozen=True)
class Projection:
    """`apply` writes the state `model` events on `topic` (a name, or a pattern such as
    `partner.*.candidates.v1`) stand for; `forget`, if given, deletes what a tombstone's key named (on a
    compacted topic whose broker has not compacted yet, the records before the tombstone are replayed)."""

    topic: str
    model: type[Event]
    apply: Apply
    forget: Forget | None = None

    @property
    def name(self) -> str:
        return getattr(self.apply, "__name__", repr(self.apply))

    def reads(self, topic: str) -> bool:
        return fnmatch.fnmatchcase(topic, self.topic)


class ProjectionTable:
    """A service's projections, by topic (the lookup is done once per topic: it is on every event's path)."""

    def __init__(self, projections: Iterable[Projection]) -> None:
        self.projections = tuple(projections)
        self._by_topic: dict[str, tuple[Projection, ...]] = {}

    def __iter__(self) -> Iterator[Projection]:
        return iter(self.projections)

    def for_topic(self, topic: str) -> tuple[Projection, ...]:
        found = self._by_topic.get(topic)
        if found is None:
            found = self._by_topic[topic] = tuple(p for p in self.projections if p.reads(topic))
        return found

    def on(self, topic: str, model: type[Event]) -> list[Projection]:
        return [p for p in self.for_topic(topic) if p.model is model]

    async def apply(self, event: Event, context: Context) -> None:
        for projection in self.on(context.topic, type(event)):
            await projection.apply(event, context)

    async def forget(self, topic: str, key: str) -> None:
        for projection in self.for_topic(topic):
            if projection.forget is not None:
                await projection.forget(key)


Reaction = Callable[[Any, CloudEventAttributes], Awaitable[object]]


def project_then(
    table: ProjectionTable, topic: str, clock: Callable[[], datetime], react: Reaction | None = None
) -> EventHandler[Any]:
    """A consumer's handler: apply the service's projections of the event, then (optionally) `react`, the
    decision the event calls for (which publishes events of its own)."""

    async def handle(event: Event, attributes: CloudEventAttributes) -> None:
        await table.apply(event, Context(attributes, topic, attributes.subject, clock()))
        if react is not None:
            await react(event, attributes)

    projections = table.for_topic(topic)
    handle.__name__ = react.__name__ if react is not None else "_".join(p.name for p in projections) or "project"
    handle.__doc__ = (react or (projections[0].apply if projections else handle)).__doc__
    return handle


def consumes(
    table: ProjectionTable,
    spec: TopicSpec,
    model: type[Event],
    group: str,
    clock: Callable[[], datetime],
    react: Reaction | None = None,
) -> Route:
    """The route of a consumed topic: the service's projections of its events, then `react`."""
    return Route(spec.name, model, project_then(table, spec.name, clock, react), group)


class Publisher(Protocol):
    async def publish(
        self, event: Event, key: str, *, event_id: str | None = None, topic: str | None = None
    ) -> CloudEventAttributes: ...

    async def tombstone(self, key: str, *, topic: str | None = None) -> None: ...

    @property
    def topic(self) -> str: ...


class ProjectingPublisher:
    """Publish an event (the log first), then apply this service's projections of it to the state: a
    crash in between leaves the event on the log, where a consumer or the rebuild applies it."""

    def __init__(self, publisher: Publisher, table: ProjectionTable, clock: Callable[[], datetime]) -> None:
        self._publisher = publisher
        self._table = table
        self._clock = clock

    @property
    def topic(self) -> str:
        return self._publisher.topic

    async def publish(
        self, event: Event, key: str, *, event_id: str | None = None, topic: str | None = None
    ) -> CloudEventAttributes:
        attributes = await self._publisher.publish(event, key, event_id=event_id, topic=topic)
        await self._table.apply(event, Context(attributes, topic or self._publisher.topic, key, self._clock()))
        return attributes

    async def tombstone(self, key: str, *, topic: str | None = None) -> None:
        """A null value under `key` (the log first), then the projections forget what it named."""
        await self._publisher.tombstone(key, topic=topic)
        await self._table.forget(topic or self._publisher.topic, key)


class LoggedRecord(Protocol):
    """What the rebuild needs of a record read back from a topic (aiokafka's ConsumerRecord fits)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class EventLog(Protocol):
    """The topics, read back from their beginning."""

    async def topics(self, patterns: Sequence[str]) -> list[str]: ...

    async def records(self, topic: str, progress: Progress | None = None) -> list[LoggedRecord]: ...


class KafkaEventLog:
    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap

    async def topics(self, patterns: Sequence[str]) -> list[str]:
        fixed = [p for p in patterns if not _is_pattern(p)]
        wanted = [p for p in patterns if _is_pattern(p)]
        found = sorted(t for t in await topic_names(self._bootstrap) if any(fnmatch.fnmatchcase(t, p) for p in wanted))
        return list(dict.fromkeys([*fixed, *found]))

    async def records(self, topic: str, progress: Progress | None = None) -> list[LoggedRecord]:
        return [record async for record in records_to_end(self._bootstrap, topic, progress)]


def _is_pattern(topic: str) -> bool:
    return any(c in topic for c in "*?[")


def merged_by_time(records: Iterable[LoggedRecord]) -> list[LoggedRecord]:
    """Each partition keeps its own order (what a consumer saw); partitions interleave by write time."""
    partitions: dict[tuple[str, int], list[LoggedRecord]] = {}
    for record in records:
        partitions.setdefault((record.topic, record.partition), []).append(record)
    return list(heapq.merge(*partitions.values(), key=lambda record: record.timestamp))


def moment_of(event: Event, attributes: CloudEventAttributes) -> datetime:
    """When an event happened, for a projection replayed later: its own `occurred_at`, or its ce_time."""
    occurred = getattr(event, "occurred_at", None)
    return occurred if isinstance(occurred, datetime) else attributes.time


def _decoded(record: LoggedRecord, model: type[Event], max_event_bytes: int) -> tuple[Event, Context] | None:
    try:
        event, attributes = decode_event(model, record.value or b"", dict(record.headers), max_event_bytes)
    except PoisonMessage:
        return None
    key = record.key.decode(errors="replace") if record.key else None
    return event, Context(attributes, record.topic, key, moment_of(event, attributes))


def _share_of(progress: Progress | None, topic: str, shares: dict[str, tuple[int, int]]) -> Progress | None:
    """One topic's progress, reported as the sum over the topics read side by side."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        shares[topic] = (done, total)
        progress(sum(d for d, _ in shares.values()), sum(t for _, t in shares.values()))

    return report


async def rebuild_from_log(
    log: EventLog, table: ProjectionTable, max_event_bytes: int, progress: Progress | None = None
) -> dict[str, int]:
    """Apply every record of the projections' topics, merged by time, to the projections: the state a
    service had before it lost Redis. Returns how many records were read, per projection how many events
    it applied, and how many were skipped (poison, dead-lettered when they were first consumed)."""
    topics = await log.topics([p.topic for p in table])
    # Each topic's reader waits on its own round trips: read side by side, they cost the slowest one.
    shares: dict[str, tuple[int, int]] = {}
    reading = await asyncio.gather(*(log.records(t, _share_of(progress, t, shares)) for t in topics))
    read = [record for records in reading for record in records]
    counts = {"read": len(read)} | {p.name: 0 for p in table}
    skipped = 0
    for record in merged_by_time(read):
        if record.value is None:  # a tombstone: what its key named was deleted, and nothing of it is state
            if record.key is not None:
                await table.forget(record.topic, record.key.decode(errors="replace"))
            continue
        decoded: dict[type[Event], tuple[Event, Context] | None] = {}  # once per record and model
        for projection in table.for_topic(record.topic):
            if projection.model not in decoded:
                decoded[projection.model] = _decoded(record, projection.model, max_event_bytes)
                if decoded[projection.model] is None:
                    skipped += 1  # dead-lettered when it was first consumed
            found = decoded[projection.model]
            if found is None:
                continue
            try:
                await projection.apply(*found)
            except PoisonMessage:
                skipped += 1  # refused by the projection (an event out of order), as it was live
                continue
            counts[projection.name] += 1
    if skipped:
        counts["skipped"] = skipped
    return counts
