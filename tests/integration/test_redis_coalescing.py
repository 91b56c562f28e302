"""The services' Redis client sends the commands issued in one event-loop turn as one pipeline: each
caller still gets its own answer, or its own error, and commands of one caller keep their order."""

import asyncio

import pytest
from redis.exceptions import ResponseError

from shared.redis_factory import CoalescingRedis
from tests.support import random_ref


async def test_concurrent_commands_share_round_trips_and_each_gets_its_own_answer(redis: CoalescingRedis) -> None:
    keys = [random_ref("co") for _ in range(50)]
    trips, commands = redis.round_trips, redis.commands
    await asyncio.gather(*(redis.set(key, str(n)) for n, key in enumerate(keys)))
    values = await asyncio.gather(*(redis.get(key) for key in keys))
    assert values == [str(n) for n in range(50)]
    assert redis.commands - commands == 100
    assert redis.round_trips - trips <= 4, "50 concurrent commands were not sent together"


async def test_one_callers_error_stays_its_own(redis: CoalescingRedis) -> None:
    text, counter = random_ref("text"), random_ref("counter")
    await redis.set(text, "not a number")
    results = await asyncio.gather(redis.incr(text), redis.incr(counter), redis.get(text), return_exceptions=True)
    assert isinstance(results[0], ResponseError)
    assert results[1:] == [1, "not a number"]


async def test_a_callers_commands_keep_their_order_and_transactions_still_work(redis: CoalescingRedis) -> None:
    key = random_ref("order")

    async def append(n: int) -> None:
        await redis.rpush(key, f"{n}a")
        await redis.rpush(key, f"{n}b")

    await asyncio.gather(*(append(n) for n in range(10)))
    items = await redis.lrange(key, 0, -1)
    for n in range(10):
        assert items.index(f"{n}a") < items.index(f"{n}b")
    async with redis.pipeline(transaction=True) as pipe:
        await pipe.watch(key)
        pipe.multi()
        pipe.delete(key)
        assert await pipe.execute() == [1]


async def test_a_cancelled_caller_does_not_break_the_others(redis: CoalescingRedis) -> None:
    key = random_ref("cancel")
    await redis.set(key, "v")
    doomed = asyncio.ensure_future(redis.get(key))
    survivor = asyncio.ensure_future(redis.get(key))
    await asyncio.sleep(0)
    doomed.cancel()
    assert await survivor == "v"
    with pytest.raises(asyncio.CancelledError):
        await doomed
