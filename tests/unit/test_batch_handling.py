"""Handling a batch: each key's records in order, the keys (and the partitions) side by side, and a loss of
state in any of them surfaces as StateLost (so that the middleware redelivers the whole batch)."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events import BeneficiaryProfile
from shared.messaging.consuming import ConsumePolicy, Delivery, handle_in_order
from shared.messaging.state_guard import StateLost
from tests.factories import profile


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = b"{}"
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class NoDeadLetters:
    meter = None

    async def send(self, record: Any, reason: str) -> None:
        raise AssertionError(f"nothing here is poison: {reason}")


def deliveries(partitions: int, per_partition: int, keys: int = 0) -> list[Delivery]:
    """`per_partition` records in each partition; with `keys`, the records of a partition take turns among
    that many keys (record n has key n % keys), else they have none."""
    out = []
    for offset in range(per_partition):
        for partition in range(partitions):
            attributes = CloudEventAttributes(
                id=f"{partition}-{offset}", type=BeneficiaryProfile.EVENT_TYPE, source="/t",
                time=datetime(2026, 12, 6, tzinfo=UTC), subject=None,
            )  # fmt: skip
            key = f"{partition}-k{offset % keys}".encode() if keys else None
            out.append(Delivery(profile(version=offset + 1), attributes, Record("t", partition, offset, key)))
    return out


def policy() -> ConsumePolicy:
    return ConsumePolicy(BeneficiaryProfile, NoDeadLetters(), 1 << 20, 0.0)  # type: ignore[arg-type]


@dataclass
class Recorder:
    """A handler that notes each record's version under a lane name, and how many ran at once at most."""

    lane: Callable[[CloudEventAttributes], str]
    pause_s: Callable[[BeneficiaryProfile], float] = lambda event: 0.001
    seen: dict[str, list[int]] = field(default_factory=dict)
    in_flight: int = 0
    most: int = 0

    async def __call__(self, event: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(self.pause_s(event))
        self.seen.setdefault(self.lane(attributes), []).append(event.version)
        self.in_flight -= 1


async def test_each_partition_in_order_and_the_partitions_side_by_side() -> None:
    handler = Recorder(lane=lambda attributes: attributes.id.split("-")[0])
    await handle_in_order(deliveries(3, 5), handler, policy())  # no keys: each partition is one lane
    assert handler.seen == {str(p): [1, 2, 3, 4, 5] for p in range(3)}
    assert handler.most == 3


async def test_each_keys_records_in_order_and_the_keys_of_a_partition_side_by_side() -> None:
    handler = Recorder(
        lane=lambda attributes: f"k{int(attributes.id.split('-')[1]) % 3}",
        pause_s=lambda event: 0.001 * max(5 - event.version, 0),  # later records would finish sooner together
    )
    await handle_in_order(deliveries(1, 9, keys=3), handler, policy())
    assert handler.seen == {"k0": [1, 4, 7], "k1": [2, 5, 8], "k2": [3, 6, 9]}
    assert handler.most == 3


async def test_a_state_lost_in_one_partition_is_raised_as_state_lost() -> None:
    async def handler(event: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        if attributes.id == "1-2":
            raise StateLost("gone")
        await asyncio.sleep(0)

    with pytest.raises(StateLost):
        await handle_in_order(deliveries(3, 4), handler, policy())


async def test_a_failing_record_is_retried_in_place_before_the_next_one() -> None:
    calls: list[str] = []

    async def handler(event: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        calls.append(attributes.id)
        if calls.count(attributes.id) < 3 and attributes.id == "0-0":
            raise ConnectionError("Redis blinked")

    await handle_in_order(deliveries(1, 2), handler, policy())
    assert calls == ["0-0", "0-0", "0-0", "0-1"]
