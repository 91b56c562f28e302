"""The ceiling: how fast plain aiokafka produces and consumes on the broker a load point ran on.

No FastStream, no handlers, no Redis: one producer (acks=all, like the services) sends `messages` records
of `size` bytes to a topic of its own as fast as it can, keeping up to `window` sends in flight; then one
consumer in a new group reads them back from the beginning. What our pipeline moves, set against these
two rates, says how much of the limit is the broker and how much our own work per message.

    python bench/kafka_ceiling.py --bootstrap 127.0.0.1:9092     # against a running broker
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.contract.topics import TopicSpec
from shared.messaging.kafka_admin import ensure_topics

DEFAULT_MESSAGES = 20_000
DEFAULT_SIZE = 800  # about a referral event's JSON body
WINDOW = 2_000  # sends in flight at once: enough for aiokafka to fill its batches


async def ceiling(bootstrap: str, messages: int = DEFAULT_MESSAGES, size: int = DEFAULT_SIZE) -> dict[str, Any]:
    topic = f"bench.ceiling.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(topic, 3, "bench")], 1)
    body = b"x" * size
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.perf_counter()
        pending: set[asyncio.Future[Any]] = set()
        for i in range(messages):
            pending.add(await producer.send(topic, body, key=str(i % 1000).encode()))
            if len(pending) >= WINDOW:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        await asyncio.gather(*pending)
        produce_s = time.perf_counter() - started
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-ceiling-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    try:
        read = 0
        started = time.perf_counter()
        while read < messages:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            read += sum(len(records) for records in batches.values())
            if time.perf_counter() - started > 120:
                break
        consume_s = time.perf_counter() - started
        await consumer.commit()
    finally:
        await consumer.stop()
    return {
        "messages": messages,
        "bytes_per_message": size,
        "produced_per_s": round(messages / produce_s),
        "consumed_per_s": round(read / consume_s),
        "consumed": read,
    }


async def records_on(bootstrap: str) -> int:
    """Records written so far on every topic of the broker (the sum of their end offsets), but the
    ceiling's own topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        names = [t for t in await consumer.topics() if not t.startswith("bench.ceiling.")]
        partitions = [
            TopicPartition(topic, p) for topic in names for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        return sum(ends.values())
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/kafka_ceiling.py", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="the broker, host:port")
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    args = parser.parse_args()
    print(asyncio.run(ceiling(args.bootstrap, args.messages, args.size)))


if __name__ == "__main__":
    main()
