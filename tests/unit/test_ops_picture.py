"""The ops picture folds heartbeats, metrics and dead letters in one at a time, as its consumer reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from shared.contract.events.ops import Heartbeat, MetricsSnapshot
from shared.contract.topics import OPS_DLQ, OPS_HEARTBEAT, OPS_METRICS
from shared.messaging.dead_letters import DLQ_ERROR_HEADER, DLQ_SERVICE_HEADER, DLQ_TOPIC_HEADER
from shared.ops import picture as ops_picture
from shared.ops.history import last_hour
from shared.ops.picture import OpsPicture

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


@dataclass
class Record:
    topic: str
    value: bytes
    offset: int = 0
    partition: int = 0
    timestamp: int = 0
    headers: tuple[tuple[str, bytes], ...] = ()


def beat(service: str, seconds_ago: float, consumes: dict[str, str] | None = None) -> Record:
    at = NOW - timedelta(seconds=seconds_ago)
    heartbeat = Heartbeat(service=service, instance=f"{service}-1", version="1", started_at=at - timedelta(hours=1),
                          uptime_s=3600, interval_s=5, at=at, consumes=consumes or {})  # fmt: skip
    return Record(OPS_HEARTBEAT.name, heartbeat.model_dump_json().encode())


def dead(offset: int, minutes_ago: float, error: str) -> Record:
    timestamp = int((NOW - timedelta(minutes=minutes_ago)).timestamp() * 1000)
    headers = (
        (DLQ_TOPIC_HEADER, b"referral.event.v1"),
        (DLQ_SERVICE_HEADER, b"matching"),
        (DLQ_ERROR_HEADER, error.encode()),
    )
    return Record(OPS_DLQ.name, b"{}", offset=offset, partition=offset % 3, timestamp=timestamp, headers=headers)


def test_the_latest_heartbeat_decides_up_or_down_and_metrics_add_up() -> None:
    picture = OpsPicture()
    picture.caught_up = True
    for record in (beat("matching", 60), beat("matching", 2), beat("notifications", 30)):
        picture.apply(record)
    snapshot = MetricsSnapshot(
        service="matching", instance="matching-1", at=NOW, messages_in={"beneficiary.profile.v1": 7}
    )
    picture.apply(Record(OPS_METRICS.name, snapshot.model_dump_json().encode()))

    state = picture.state({"matching.profiles": 0}, NOW)

    assert {(i.service, i.status) for i in state.instances} == {("matching", "up"), ("notifications", "down")}
    assert state.throughput_in == {"beneficiary.profile.v1": 7}
    assert state.problems == []


def test_the_last_five_dead_letters_are_the_newest_whatever_the_order_they_arrive_in() -> None:
    picture = OpsPicture()
    for offset, minutes_ago in enumerate([3, 1, 8, 2, 6, 4, 5]):
        picture.apply(dead(offset, minutes_ago, f"reason {minutes_ago}"))

    state = picture.state({}, NOW)

    assert state.dead_letters == 7
    assert [d.error for d in state.last_dead_letters] == [f"reason {m}" for m in (5, 4, 3, 2, 1)]
    assert sum(v or 0 for v in last_hour(picture, now=NOW).dead_letters.values) == 7


def test_what_cannot_be_read_or_known_is_reported() -> None:
    picture = OpsPicture()
    picture.apply(Record(OPS_HEARTBEAT.name, b'{"service": "x"}', offset=41))

    problems = picture.state({"notifications.credentials": None}, NOW).problems

    assert any("ops.heartbeat.v1 0:41 unreadable" in p for p in problems)
    assert any("still reading the ops.* topics" in p for p in problems)
    assert any("lag of notifications.credentials unknown" in p for p in problems)


async def test_the_cli_judges_liveness_when_it_read_the_heartbeats_not_after_the_other_topics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`passerelle ops watch --once` reads three topics and the lag: a beat 1 s old when the heartbeats
    were read is up, however long the metrics and the lag then took (here 6 s, as on a busy machine)."""
    moments = {OPS_HEARTBEAT.name: NOW, OPS_METRICS.name: NOW + timedelta(seconds=5), OPS_DLQ.name: NOW}
    reading: list[str] = []

    async def read_to_end(bootstrap: str, topic: str) -> list[Record]:
        reading.append(topic)
        groups = {"matching.profiles": "beneficiary.profile.v1"}
        return [beat("matching", 1, groups)] if topic == OPS_HEARTBEAT.name else []

    asked: list[dict[str, str]] = []

    async def consumer_lag(bootstrap: str, groups: dict[str, str]) -> dict[str, int | None]:
        asked.append(dict(groups))
        return dict.fromkeys(groups, 0)

    monkeypatch.setattr(ops_picture, "read_to_end", read_to_end)
    monkeypatch.setattr(ops_picture, "consumer_lag", consumer_lag)
    state = await ops_picture.collect("kafka:9092", clock=lambda: moments[reading[-1]])

    [matching] = state.instances
    assert (matching.status, matching.last_seen_s) == ("up", 1.0)
    assert state.at == NOW.isoformat()
    # the lag asked for is that of the groups the heartbeats announced, nothing the picture knew beforehand
    assert asked == [{"matching.profiles": "beneficiary.profile.v1"}]
    assert state.lag == {"matching.profiles": 0}
