"""The one way services open Redis: a client whose concurrent commands share round trips.

A service's handlers (the partitions of a batch side by side, HTTP requests in flight) each send a few
Redis commands one after the other. Sent one by one, every command costs a write and a read on the
socket and a turn of the client's connection pool, and that, not Redis, was the largest cost of a
signing. `CoalescingRedis` queues the commands issued during one turn of the event loop and sends them
together as one pipeline (not a transaction: each command keeps its own result or error, and the order
they were issued in). A coroutine still waits for its own command's answer before its next one, so
what each handler reads and writes, and in what order, is unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 100  # per process
WAIT_FOR_CONNECTION_S = 10.0
ALONE = frozenset({"WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD", "BLPOP", "BRPOP", "BLMOVE", "BZPOPMIN", "WAIT"})
# commands that hold a connection's state or block it: never queued behind or before others


class CoalescingRedis(Redis):
    """A Redis client that sends the commands issued in the same event-loop turn as one pipeline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queued: list[tuple[tuple[Any, ...], dict[str, Any], asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self.round_trips = 0  # pipelines and lone commands sent: how far the coalescing went
        self.commands = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if str(args[0]).upper() in ALONE:
            return await super().execute_command(*args, **options)
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        if not self._queued:
            loop.call_soon(self._send_queued)  # after the coroutines ready in this turn have queued theirs
        self._queued.append((args, options, answer))
        return await answer

    def _send_queued(self) -> None:
        queued, self._queued = self._queued, []
        task = asyncio.get_running_loop().create_task(self._send(queued))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, queued: list[tuple[tuple[Any, ...], dict[str, Any], asyncio.Future[Any]]]) -> None:
        self.round_trips += 1
        self.commands += len(queued)
        if len(queued) == 1:
            args, options, answer = queued[0]
            try:
                result = await super().execute_command(*args, **options)
            except BaseException as exc:  # the caller gets it, as if it had sent the command itself
                _settle(answer, exc)
            else:
                _settle(answer, result)
            return
        pipe = self.pipeline(transaction=False)
        for args, options, _ in queued:
            pipe.execute_command(*args, **options)
        try:
            results = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # the connection failed: every caller of this round trip gets it
            for _, _, answer in queued:
                _settle(answer, exc)
            return
        finally:
            await pipe.reset()
        for (_, _, answer), result in zip(queued, results, strict=True):
            _settle(answer, result)


def _settle(answer: asyncio.Future[Any], outcome: Any) -> None:
    if answer.done():  # its caller was cancelled meanwhile
        return
    if isinstance(outcome, BaseException):
        answer.set_exception(outcome)
    else:
        answer.set_result(outcome)


def make_redis(url: str) -> Redis:
    """A client with text responses; the caller owns it and must `aclose()` it.

    The pool blocks when all its connections are busy: under a burst a request waits for a connection
    (up to WAIT_FOR_CONNECTION_S) instead of failing with "Too many connections" (the default pool raises
    at 100, which a load of 1,000 signings/s reached)."""
    pool = BlockingConnectionPool.from_url(
        url, decode_responses=True, max_connections=MAX_CONNECTIONS, timeout=WAIT_FOR_CONNECTION_S
    )
    return CoalescingRedis.from_pool(pool)  # the client owns the pool: aclose() closes both
