"""What the operators' picture is made of (the ops CLI and the /ops dashboard both show it), and the
consumer lag per group; `shared.ops.picture` keeps the picture itself."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

MISSED_HEARTBEATS_FOR_DOWN = 2


@dataclass
class InstanceState:
    service: str
    instance: str
    status: str  # up | down
    last_seen_s: float
    uptime_s: float
    messages_in: int
    messages_out: int
    errors: int
    dead_letters: int
    p99_ms: float | None


@dataclass
class DeadLetterSummary:
    offset: int
    partition: int
    topic: str
    service: str
    error: str


@dataclass
class OpsState:
    at: str
    instances: list[InstanceState] = field(default_factory=list)
    throughput_in: dict[str, int] = field(default_factory=dict)
    throughput_out: dict[str, int] = field(default_factory=dict)
    lag: dict[str, int | None] = field(default_factory=dict)
    dead_letters: int = 0
    last_dead_letters: list[DeadLetterSummary] = field(default_factory=list)
    funnel: dict[str, dict[str, int]] = field(default_factory=dict)  # filled by referrals, which holds it
    problems: list[str] = field(default_factory=list)  # what the picture could not read or know

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def consumer_lag(bootstrap: str, groups: Mapping[str, str]) -> dict[str, int | None]:
    """Messages not yet consumed per group: end offset minus committed offset, summed over partitions
    (None when the broker would not say). Asking for committed offsets does not join the group. The groups
    are asked side by side: each answer is a few round trips, and there are a dozen groups."""
    found = await asyncio.gather(*(_lag_of(bootstrap, group, topic) for group, topic in groups.items()))
    return dict(zip(groups, found, strict=True))


async def _lag_of(bootstrap: str, group: str, topic: str) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        ends = await consumer.end_offsets(partitions)
        total = 0
        for tp in partitions:
            committed = await consumer.committed(tp)
            total += max(ends[tp] - (committed or 0), 0)
        return total
    except Exception:
        return None
    finally:
        await consumer.stop()
