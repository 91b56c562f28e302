"""The operators' picture, read from the ops.* topics and the consumer groups (the ops CLI and the /ops
dashboard both show it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.dead_letters import DLQ_ERROR_HEADER, DLQ_SERVICE_HEADER, DLQ_TOPIC_HEADER
from shared.events.ops import Heartbeat, MetricsSnapshot
from shared.topic_reading import read_to_end
from shared.topics import OPS_DLQ, OPS_HEARTBEAT, OPS_METRICS

CONSUMER_GROUPS = {
    "matching.profiles": "beneficiary.profile.v1",
    "matching.openings": "programme.opening.v1",
    "matching.referral-events": "referral.event.v1",
    "referrals.proposals": "matching.proposal.v1",
    "referrals.projection": "referral.event.v1",
    "notifications.referral-events": "referral.event.v1",
    "notifications.subscriptions": "partner.subscription.v1",
    "notifications.credentials": "referrals.credential.v1",
}
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def consumer_lag(bootstrap: str, groups: dict[str, str] = CONSUMER_GROUPS) -> dict[str, int | None]:
    """Messages not yet consumed per group: end offset minus committed offset, summed over partitions
    (None when the broker would not say). Asking for committed offsets does not join the group."""
    lag: dict[str, int | None] = {}
    for group, topic in groups.items():
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
            lag[group] = total
        except Exception:
            lag[group] = None
        finally:
            await consumer.stop()
    return lag


def _header(record: Any, name: str) -> str:
    for key, value in record.headers:
        if key == name:
            return str(value.decode(errors="replace"))
    return ""


async def collect(bootstrap: str, now: datetime | None = None) -> OpsState:
    now = now or datetime.now(UTC)
    heartbeats: dict[tuple[str, str], Heartbeat] = {}
    for record in await read_to_end(bootstrap, OPS_HEARTBEAT.name):
        beat = Heartbeat.model_validate_json(record.value)
        heartbeats[(beat.service, beat.instance)] = beat
    metrics: dict[tuple[str, str], MetricsSnapshot] = {}
    for record in await read_to_end(bootstrap, OPS_METRICS.name):
        snapshot = MetricsSnapshot.model_validate_json(record.value)
        metrics[(snapshot.service, snapshot.instance)] = snapshot
    state = OpsState(at=now.isoformat())
    for key, beat in sorted(heartbeats.items()):
        seen = (now - beat.at).total_seconds()
        snap = metrics.get(key)
        p99 = max((lat.p99_ms for lat in snap.handler_latency.values()), default=None) if snap else None
        state.instances.append(
            InstanceState(
                service=beat.service, instance=beat.instance,
                status="up" if seen <= MISSED_HEARTBEATS_FOR_DOWN * beat.interval_s else "down",
                last_seen_s=round(seen, 1), uptime_s=round(beat.uptime_s, 1),
                messages_in=sum(snap.messages_in.values()) if snap else 0,
                messages_out=sum(snap.messages_out.values()) if snap else 0,
                errors=snap.errors if snap else 0, dead_letters=snap.dead_letters if snap else 0,
                p99_ms=None if p99 is None else round(p99, 2),
            )
        )  # fmt: skip
        if snap and seen <= MISSED_HEARTBEATS_FOR_DOWN * beat.interval_s:
            for topic, count in snap.messages_in.items():
                state.throughput_in[topic] = state.throughput_in.get(topic, 0) + count
            for topic, count in snap.messages_out.items():
                state.throughput_out[topic] = state.throughput_out.get(topic, 0) + count
    state.lag = await consumer_lag(bootstrap)
    dead = await read_to_end(bootstrap, OPS_DLQ.name)
    state.dead_letters = len(dead)
    state.last_dead_letters = [
        DeadLetterSummary(r.offset, r.partition, _header(r, DLQ_TOPIC_HEADER), _header(r, DLQ_SERVICE_HEADER),
                          _header(r, DLQ_ERROR_HEADER)[:200])
        for r in sorted(dead, key=lambda r: r.timestamp)[-5:]
    ]  # fmt: skip
    return state
