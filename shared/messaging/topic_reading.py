"""Read a topic from its beginning to its end.

Rebuilding state from the log (replay, the ops picture, the dead-letter list) must see every record
that was on the topic when it started — "stop after a few quiet seconds" misses records whenever the
broker is slow to serve a partition, and a busy topic never goes quiet at all. So reading goes up to
the end offsets taken at the start, and then on while the broker still serves records: the embedded
Tansu 0.6 broker reports an end offset short by n - 1 when a partition's first write was a batch of n
records (those records are stored and served, but a reader trusting the end offset would miss the
partition's last n - 1). On Apache Kafka that second pass finds nothing and costs one short fetch."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

Progress = Callable[[int, int], None]  # (records read, records to read)
DRAIN_S = 5.0


class TopicReadStalled(RuntimeError):
    """The broker stopped serving the topic before its end offsets were reached."""


async def records_to_end(
    bootstrap: str, topic: str, progress: Progress | None = None, stall_s: float = 30.0
) -> AsyncIterator[Any]:
    """Yield every record of `topic`, each partition in offset order: at least up to the end offsets
    taken at the start, and what the broker serves beyond them. Raises TopicReadStalled after `stall_s`
    without progress."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        remaining = {tp: ends[tp] for tp in partitions if ends[tp] > starts[tp]}
        done = 0
        last_progress = time.monotonic()
        if progress:
            progress(done, total)
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            for records in batches.values():
                for record in records:
                    done += 1
                    yield record
            for tp in list(remaining):
                if await consumer.position(tp) >= remaining[tp]:
                    del remaining[tp]
            if batches:
                last_progress = time.monotonic()
                if progress:
                    progress(done, total)
            elif time.monotonic() - last_progress > stall_s:
                raise TopicReadStalled(f"{topic}: no record for {stall_s:.0f} s with {done} of {total} read")
        # Past the end offsets: whatever the broker still serves (see the module's note), for a bounded time.
        drain_until = time.monotonic() + DRAIN_S
        while time.monotonic() < drain_until:
            batches = await consumer.getmany(*partitions, timeout_ms=200)
            if not batches:
                break
            for records in batches.values():
                for record in records:
                    yield record
    finally:
        await consumer.stop()


async def read_to_end(bootstrap: str, topic: str, stall_s: float = 30.0) -> list[Any]:
    return [record async for record in records_to_end(bootstrap, topic, stall_s=stall_s)]


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    known = consumer.partitions_for_topic(topic)  # start() waited for the subscribed topic's metadata
    if not known:
        raise TopicReadStalled(f"{topic}: the broker reports no partitions (does the topic exist?)")
    return [TopicPartition(topic, p) for p in sorted(known)]


async def topic_names(bootstrap: str) -> set[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        return set(await consumer.topics())
    finally:
        await consumer.stop()
