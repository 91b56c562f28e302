"""Read a topic from its beginning up to the end offsets it had when reading began.

Rebuilding state from the log (replay, the ops picture, the dead-letter list) must see every record
that was on the topic when it started — "stop after a few quiet seconds" misses records whenever the
broker is slow to serve a partition, and a busy topic never goes quiet at all."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

Progress = Callable[[int, int], None]  # (records read, records to read)


class TopicReadStalled(RuntimeError):
    """The broker stopped serving the topic before its end offsets were reached."""


async def records_to_end(
    bootstrap: str, topic: str, progress: Progress | None = None, stall_s: float = 30.0
) -> AsyncIterator[Any]:
    """Yield every record of `topic` below the end offsets taken at the start, partition by partition
    in offset order. Raises TopicReadStalled after `stall_s` without progress."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
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
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
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
    finally:
        await consumer.stop()


async def read_to_end(bootstrap: str, topic: str, stall_s: float = 30.0) -> list[Any]:
    return [record async for record in records_to_end(bootstrap, topic, stall_s=stall_s)]


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    known = consumer.partitions_for_topic(topic)  # start() waited for the subscribed topic's metadata
    if not known:
        raise TopicReadStalled(f"{topic}: the broker reports no partitions (does the topic exist?)")
    return [TopicPartition(topic, p) for p in sorted(known)]
