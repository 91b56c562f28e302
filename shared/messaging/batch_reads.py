"""What the records of one consumed batch read of slowly changing state, they read once.

A batch of profiles is proposed against the same success model, openings and seat prices; a batch of
referral events is fanned out to the same subscriptions. Read per record, that is several Redis round
trips and as many parses per record for an answer that does not change within the batch (it changes when
another consumer projects a new opening, model or subscription: a batch started before that change is
answered as it would have been a moment earlier). `shared.messaging.consuming` opens the scope around each batch;
outside one (an HTTP request, a sweep), every call reads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_reads: ContextVar[dict[str, asyncio.Future[Any]] | None] = ContextVar("batch_reads", default=None)


@contextmanager
def one_read_per_batch() -> Iterator[None]:
    """Within this scope (and the tasks it starts), `read_once_per_batch` reads each name once."""
    token = _reads.set({})
    try:
        yield
    finally:
        _reads.reset(token)


async def read_once_per_batch(name: str, read: Callable[[], Awaitable[T]]) -> T:
    """`read()`'s answer, read at the first call in this batch and shared with the batch's other records
    (the partitions handled side by side wait for the same read). A failed read is not kept."""
    reads = _reads.get()
    if reads is None:
        return await read()
    found = reads.get(name)
    if found is None:
        found = reads[name] = asyncio.ensure_future(read())
    try:
        return await asyncio.shield(found)  # one record's cancellation must not cancel the others' read
    except Exception:
        if reads.get(name) is found:
            del reads[name]
        raise
