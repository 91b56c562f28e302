"""Slowly changing state is read once per consumed batch (`shared.messaging.batch_reads`), and only within one."""

from __future__ import annotations

import asyncio

import pytest

from shared.messaging.batch_reads import one_read_per_batch, read_once_per_batch


class CountedRead:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(0)  # a real read awaits its round trip: others arrive meanwhile
        if self.fail_first and self.calls == 1:
            raise ConnectionError("Redis went away")
        return self.calls


async def test_the_records_of_a_batch_share_one_read_even_side_by_side() -> None:
    read = CountedRead()
    with one_read_per_batch():
        async with asyncio.TaskGroup() as group:
            answers = [group.create_task(read_once_per_batch("model", read)) for _ in range(5)]
        assert [a.result() for a in answers] == [1] * 5
        assert await read_once_per_batch("model", read) == 1
        assert await read_once_per_batch("prices", CountedRead()) == 1  # another name, its own read
    assert read.calls == 1


async def test_each_batch_reads_again_and_outside_a_batch_every_call_reads() -> None:
    read = CountedRead()
    for _ in range(2):
        with one_read_per_batch():
            await read_once_per_batch("model", read)
    assert read.calls == 2
    assert [await read_once_per_batch("model", read) for _ in range(2)] == [3, 4]


async def test_a_failed_read_is_not_kept_for_the_rest_of_the_batch() -> None:
    read = CountedRead(fail_first=True)
    with one_read_per_batch():
        with pytest.raises(ConnectionError):
            await read_once_per_batch("model", read)
        assert await read_once_per_batch("model", read) == 2
