"""`make bench-broker`: does the embedded broker's cost per message grow with what its log holds?

Starts the embedded Tansu broker alone (no services, no Redis). One partition is filled in rounds, each
of `--requests` produce requests of 10 records (how the services produce under a moderate load: few
records per request, so many record batches in the log). After each round, a consumer follows the
tail: `--trips` times, one record is produced and the consumer waits for it. The table gives, per
round, how many batches the partition holds and the broker's CPU time (from /proc) and the wall time
per such round trip. For contrast, the same number of records is then produced in large batches and
read back from the start.

    python bench/broker_growth.py                    # 5 rounds of 2,000 requests, 300 round trips each
    python bench/broker_growth.py --rounds 8 --requests 4000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rich.console import Console
from rich.table import Table

from passerelle.embedded.tansu import EmbeddedKafka
from shared.contract.topics import TopicSpec
from shared.messaging.kafka_admin import ensure_topics

console = Console()
RECORDS_PER_REQUEST = 10
BODY = b"x" * 700  # about a sealed signing


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fill(producer: AIOKafkaProducer, topic: str, requests: int) -> None:
    """`requests` produce requests of RECORDS_PER_REQUEST records each, one after the other."""
    for n in range(requests):
        sent = [await producer.send(topic, BODY, key=f"{n}-{i}".encode()) for i in range(RECORDS_PER_REQUEST)]
        await asyncio.gather(*sent)


async def tail_trips(producer: AIOKafkaProducer, consumer: AIOKafkaConsumer, topic: str, trips: int) -> None:
    """One record produced, then waited for by the consumer at the tail; `trips` times."""
    partition = TopicPartition(topic, 0)
    for _ in range(trips):
        await (await producer.send(topic, BODY, key=b"tail"))
        while not any((await consumer.getmany(partition, timeout_ms=2000)).values()):
            pass


async def measure(broker: EmbeddedKafka, args: argparse.Namespace) -> list[dict[str, Any]]:
    assert broker.pid is not None
    topic = f"bench.growth.{uuid.uuid4().hex[:8]}"
    await ensure_topics(broker.bootstrap_servers, [TopicSpec(topic, 1, "bench")], 1)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap_servers, enable_auto_commit=False,
                                fetch_max_wait_ms=100)  # fmt: skip  # the services' setting
    await producer.start()
    await consumer.start()
    rows = []
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        batches = 0
        for n in range(args.rounds):
            await fill(producer, topic, args.requests)
            batches += args.requests
            consumer.seek(partition, (await consumer.end_offsets([partition]))[partition])
            cpu, wall = cpu_seconds(broker.pid), time.perf_counter()
            await tail_trips(producer, consumer, topic, args.trips)
            batches += args.trips
            rows.append({
                "round": n + 1, "batches": batches,
                "cpu_ms": (cpu_seconds(broker.pid) - cpu) / args.trips * 1000,
                "wall_ms": (time.perf_counter() - wall) / args.trips * 1000,
            })  # fmt: skip
            console.print(f"round {n + 1}: {batches:,} batches, {rows[-1]['cpu_ms']:.2f} ms of broker CPU a trip")
    finally:
        await consumer.stop()
        await producer.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/broker_growth.py", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000, help="produce requests per round (10 records each)")
    parser.add_argument("--trips", type=int, default=300, help="tail round trips measured per round")
    args = parser.parse_args()
    broker = EmbeddedKafka(Path(tempfile.mkdtemp(prefix="passerelle-bench-")))
    broker.start()
    try:
        rows = asyncio.run(measure(broker, args))
    finally:
        broker.stop()
    table = Table(title=f"Tansu (embedded) at the tail of a growing partition ({platform.machine()}, "
                        f"{os.cpu_count()} cores)")  # fmt: skip
    for column in ("round", "record batches in the partition", "broker CPU per tail trip", "wall per trip"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(str(row["round"]), f"{row['batches']:,}", f"{row['cpu_ms']:.2f} ms", f"{row['wall_ms']:.1f} ms")
    console.print(table)
    growth = rows[-1]["cpu_ms"] / rows[0]["cpu_ms"] if rows and rows[0]["cpu_ms"] else float("nan")
    console.print(
        f"broker CPU per trip, last round / first: {growth:.2f}x for {rows[-1]['batches'] / rows[0]['batches']:.1f}x"
        " the batches (a broker whose fetch finds the offset by index stays near 1x)"
    )


if __name__ == "__main__":
    main()
