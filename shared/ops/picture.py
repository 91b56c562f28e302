"""The operators' picture, kept up to date by one consumer of the ops.* topics.

`OpsPicture.apply` folds one record of `ops.heartbeat.v1`, `ops.metrics.v1` or `ops.dlq.v1` into the
picture: the last heartbeat and metrics of each instance, the metrics of the last hour (for the charts),
and the dead letters (a count, the last five, and when they came). Referrals runs `follow` for as long
as it runs, so `/v1/ops/state` and the console read memory instead of re-reading three topics per
request; the CLI without an API builds the same picture once, from the topics read to their end.
A record the picture cannot read, or a consumer that fails, is reported in `problems`, not hidden."""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from shared.contract.events.ops import Heartbeat, MetricsSnapshot
from shared.contract.topics import OPS_DLQ, OPS_HEARTBEAT, OPS_METRICS
from shared.messaging.dead_letters import DLQ_ERROR_HEADER, DLQ_SERVICE_HEADER, DLQ_TOPIC_HEADER
from shared.messaging.topic_reading import read_to_end
from shared.ops.state import MISSED_HEARTBEATS_FOR_DOWN, DeadLetterSummary, InstanceState, OpsState, consumer_lag

TOPICS = (OPS_HEARTBEAT.name, OPS_METRICS.name, OPS_DLQ.name)
HISTORY = timedelta(minutes=65)
LAST_DEAD = 5
MAX_PROBLEMS = 10
log = logging.getLogger(__name__)


def _header(record: Any, name: str) -> str:
    for key, value in record.headers or ():
        if key == name:
            return str(value.decode(errors="replace"))
    return ""


class OpsPicture:
    def __init__(self) -> None:
        self.problems: deque[str] = deque(maxlen=MAX_PROBLEMS)  # kept across restarts of the consumer
        self._clear()

    def _clear(self) -> None:
        """Forget what was read (the consumer starts again from the beginning of the topics)."""
        self.heartbeats: dict[tuple[str, str], Heartbeat] = {}
        # Consumer group → topic, as the services' heartbeats announce them (kept when an instance goes down:
        # its backlog is what the operators must see then).
        self.groups: dict[str, str] = {}
        self.metrics: dict[tuple[str, str], MetricsSnapshot] = {}
        self.recent_metrics: deque[MetricsSnapshot] = deque()
        self.dead_letters = 0
        self.last_dead: list[tuple[int, DeadLetterSummary]] = []  # (timestamp ms, summary), oldest first
        self.dead_times: deque[datetime] = deque()
        self.caught_up = False
        self.records = 0

    def apply(self, record: Any) -> None:
        """Fold one consumed ops record into the picture."""
        self.records += 1
        try:
            if record.topic == OPS_HEARTBEAT.name:
                beat = Heartbeat.model_validate_json(record.value)
                self.heartbeats[(beat.service, beat.instance)] = beat
                self.groups.update(beat.consumes)
            elif record.topic == OPS_METRICS.name:
                snapshot = MetricsSnapshot.model_validate_json(record.value)
                self.metrics[(snapshot.service, snapshot.instance)] = snapshot
                self.recent_metrics.append(snapshot)
                self._forget_before(snapshot.at - HISTORY)
            elif record.topic == OPS_DLQ.name:
                self._dead_letter(record)
        except ValidationError as exc:
            self.problems.append(
                f"{record.topic} {record.partition}:{record.offset} unreadable: {exc.errors()[0]['msg']}"
            )

    def _dead_letter(self, record: Any) -> None:
        self.dead_letters += 1
        summary = DeadLetterSummary(
            record.offset, record.partition, _header(record, DLQ_TOPIC_HEADER), _header(record, DLQ_SERVICE_HEADER),
            _header(record, DLQ_ERROR_HEADER)[:200],
        )  # fmt: skip
        bisect.insort(self.last_dead, (record.timestamp, summary), key=lambda entry: entry[0])
        del self.last_dead[:-LAST_DEAD]
        at = datetime.fromtimestamp(record.timestamp / 1000, tz=UTC)
        self.dead_times.append(at)
        while self.dead_times and self.dead_times[0] < at - HISTORY:
            self.dead_times.popleft()

    def _forget_before(self, moment: datetime) -> None:
        while self.recent_metrics and self.recent_metrics[0].at < moment:
            self.recent_metrics.popleft()

    def state(self, lag: dict[str, int | None], now: datetime | None = None) -> OpsState:
        """The picture as operators read it, at `now`, with the consumer lag sampled elsewhere."""
        now = now or datetime.now(UTC)
        state = OpsState(at=now.isoformat(), lag=dict(lag), dead_letters=self.dead_letters)
        for key, beat in sorted(self.heartbeats.items()):
            seen = (now - beat.at).total_seconds()
            alive = seen <= MISSED_HEARTBEATS_FOR_DOWN * beat.interval_s
            snap = self.metrics.get(key)
            p99 = max((lat.p99_ms for lat in snap.handler_latency.values()), default=None) if snap else None
            state.instances.append(
                InstanceState(
                    service=beat.service, instance=beat.instance, status="up" if alive else "down",
                    last_seen_s=round(seen, 1), uptime_s=round(beat.uptime_s, 1),
                    messages_in=sum(snap.messages_in.values()) if snap else 0,
                    messages_out=sum(snap.messages_out.values()) if snap else 0,
                    errors=snap.errors if snap else 0, dead_letters=snap.dead_letters if snap else 0,
                    p99_ms=None if p99 is None else round(p99, 2),
                )
            )  # fmt: skip
            if snap and alive:
                for topic, count in snap.messages_in.items():
                    state.throughput_in[topic] = state.throughput_in.get(topic, 0) + count
                for topic, count in snap.messages_out.items():
                    state.throughput_out[topic] = state.throughput_out.get(topic, 0) + count
        state.last_dead_letters = [summary for _, summary in self.last_dead]
        state.problems = list(self.problems)
        if not self.caught_up:
            state.problems.append("les sujets ops.* sont en cours de lecture / still reading the ops.* topics")
        state.problems += [f"retard du groupe {g} inconnu / lag of {g} unknown" for g, n in lag.items() if n is None]
        return state

    async def follow(self, bootstrap: str, retry_s: float = 2.0) -> None:
        """Consume the ops topics from their beginning, for ever; after a failure, start again."""
        while True:
            consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
            try:
                await consumer.start()
                partitions = [TopicPartition(t, p) for t in TOPICS for p in sorted(await _partitions(consumer, t))]
                consumer.assign(partitions)
                await consumer.seek_to_beginning(*partitions)
                ends = await consumer.end_offsets(partitions)
                self._clear()
                while True:
                    batches = await consumer.getmany(timeout_ms=1000)
                    for records in batches.values():
                        for record in records:
                            self.apply(record)
                    if not self.caught_up:
                        positions = [await consumer.position(tp) for tp in partitions]
                        self.caught_up = all(pos >= ends[tp] for pos, tp in zip(positions, partitions, strict=True))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("the ops picture lost its consumer; starting again")
                self.problems.append(f"lecture des sujets ops.* interrompue / ops topics unreadable: {exc!r}"[:300])
            finally:
                await consumer.stop()
            await asyncio.sleep(retry_s)


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    found = consumer.partitions_for_topic(topic)
    if not found:
        await consumer.topics()
        found = consumer.partitions_for_topic(topic)
    if not found:
        raise RuntimeError(f"{topic}: the broker reports no partitions")
    return set(found)


Clock = Callable[[], datetime]


async def _read_stamped(bootstrap: str, topic: str, clock: Clock) -> tuple[list[Any], datetime]:
    """A topic read to its end, and the moment the reading ended."""
    records = await read_to_end(bootstrap, topic)
    return records, clock()


async def collect(bootstrap: str, now: datetime | None = None, clock: Clock = lambda: datetime.now(UTC)) -> OpsState:
    """The operators' state straight from the topics and the consumer groups, once (for the CLI without an
    API). The topics and the lag are read side by side, and an instance's liveness is judged at the moment
    the heartbeats were read to their end: a beat must not age while the other topics are being read."""
    topics = await asyncio.gather(*(_read_stamped(bootstrap, t, clock) for t in TOPICS))
    picture = OpsPicture()
    for records, _ in topics:
        for record in records:
            picture.apply(record)
    lag = await consumer_lag(bootstrap, picture.groups)  # the groups the heartbeats announced
    picture.caught_up = True
    heartbeats_read_at = topics[TOPICS.index(OPS_HEARTBEAT.name)][1]
    return picture.state(lag, now or heartbeats_read_at)
