"""The state guard on a real Redis: rebuild when the marker is missing, once across instances, with the
gate closed meanwhile, and a handler that overlapped a loss refused."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from shared.messaging.state_guard import StateGuard, StateLost, state_marker
from tests.support import eventually, random_ref


class CountingRebuild:
    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> dict[str, int]:
        self.calls += 1
        await self.release.wait()
        return {"things": 3}


async def test_a_missing_marker_is_rebuilt_once_and_a_present_one_is_not(redis: Redis) -> None:
    service, rebuild = random_ref("svc"), CountingRebuild()
    guard = StateGuard(redis, service, rebuild)
    await guard.ensure()
    await guard.ensure()
    assert rebuild.calls == 1 and guard.ready and guard.last_report == {"things": 3}
    assert await redis.exists(state_marker(service))

    await redis.delete(state_marker(service))
    await guard.ensure()
    assert rebuild.calls == 2


async def test_two_instances_rebuild_once_between_them(redis: Redis) -> None:
    service, rebuild = random_ref("svc"), CountingRebuild()
    first, second = StateGuard(redis, service, rebuild), StateGuard(redis, service, rebuild)
    await asyncio.gather(first.ensure(), second.ensure(), first.ensure())
    assert rebuild.calls == 1
    assert first.ready and second.ready


async def test_handlers_wait_at_the_gate_while_the_state_is_rebuilt(redis: Redis) -> None:
    service, rebuild = random_ref("svc"), CountingRebuild()
    guard = StateGuard(redis, service, rebuild)
    await guard.ensure()
    await redis.delete(state_marker(service))
    rebuild.release.clear()
    rebuilding = asyncio.create_task(guard.ensure())
    await eventually(lambda: _async(rebuild.calls == 2), what="the rebuild to start")
    handled: list[str] = []

    async def handler() -> None:
        async with guard.passing():
            handled.append("done")

    waiting = asyncio.create_task(handler())
    for _ in range(10):
        await asyncio.sleep(0)  # give the handler every chance to (wrongly) pass the closed gate
    assert not handled and not guard.ready
    rebuild.release.set()
    await rebuilding
    await waiting
    assert handled == ["done"]


async def test_a_handler_that_overlapped_a_loss_is_refused(redis: Redis) -> None:
    service = random_ref("svc")
    guard = StateGuard(redis, service, CountingRebuild())
    await guard.ensure()
    with pytest.raises(StateLost):
        async with guard.passing():
            await redis.delete(state_marker(service))  # Redis is wiped while the handler runs
    with pytest.raises(StateLost):
        async with guard.passing():  # the loss is seen before the handler even starts
            raise AssertionError("must not run on a lost state")


async def test_the_rebuild_waits_for_handlers_already_past_the_gate(redis: Redis) -> None:
    service, rebuild = random_ref("svc"), CountingRebuild()
    guard = StateGuard(redis, service, rebuild)
    await guard.ensure()
    finish = asyncio.Event()

    async def long_handler() -> None:
        async with guard.passing():
            await finish.wait()

    handler = asyncio.create_task(long_handler())
    await eventually(lambda: _async(guard.in_flight == 1), what="the handler in flight")
    await redis.delete(state_marker(service))
    rebuilding = asyncio.create_task(guard.ensure())
    await eventually(lambda: _async(not guard.ready), what="the gate to close")
    for _ in range(10):
        await asyncio.sleep(0)  # give the rebuild every chance to (wrongly) start
    assert rebuild.calls == 1, "the rebuild must not start while a handler is still running"
    finish.set()
    with pytest.raises(StateLost):
        await handler
    await rebuilding
    assert rebuild.calls == 2


async def _async(value: bool) -> bool:
    return value


async def test_a_handler_that_failed_because_the_state_vanished_is_a_loss_not_a_failure(redis: Redis) -> None:
    service = random_ref("svc")
    guard = StateGuard(redis, service, CountingRebuild())
    await guard.ensure()
    with pytest.raises(StateLost):
        async with guard.passing():
            await redis.delete(state_marker(service))
            raise KeyError("the view it just wrote is gone")
    await guard.ensure()
    with pytest.raises(KeyError):  # with the state intact, a failure stays a failure (retried, then DLQ)
        async with guard.passing():
            raise KeyError("a real bug")


async def test_a_state_emptied_during_its_rebuild_is_rebuilt_again_before_being_marked(redis: Redis) -> None:
    service = random_ref("svc")
    calls = 0

    async def rebuild_while_redis_is_wiped_once() -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            await redis.delete(f"{state_marker(service)}:pending")  # what a FLUSHALL mid-rebuild does to it
        return {"calls": calls}

    guard = StateGuard(redis, service, rebuild_while_redis_is_wiped_once)
    await guard.ensure()
    assert calls == 2 and await redis.exists(state_marker(service))
