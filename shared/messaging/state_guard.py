"""Rebuildable state (DESIGN §5): notice that a service's Redis state is gone and rebuild it from the log.

Each service keeps a marker key beside its state. The marker is written once the state has been built
from the topics; if it is missing — a fresh Redis, a wiped one, a failover to an empty replica — the
guard closes the gate (consumers and write endpoints wait), lets the handlers already running finish,
rebuilds the state by reading the topics to their end offsets, writes the marker and opens the gate.

A handler that overlapped the loss (the marker vanished while it ran) may have acted on missing state,
so it is not acknowledged: `StateLost` makes the consumer redeliver it after the rebuild, and idempotent
handlers make the repeat harmless. Several instances of a service rebuild one at a time (a Redis lock);
the others wait for the marker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from redis.asyncio import Redis

log = logging.getLogger(__name__)

Rebuild = Callable[[], Awaitable[dict[str, int]]]  # returns counts of what it restored, for the log


def state_marker(service: str) -> str:
    """The key that says `service`'s state has been built (absent: lost, or never built)."""
    return f"{service}:state:built"


class StateLost(RuntimeError):
    """This service's state vanished while a message was being handled: redeliver it after the rebuild."""


class StateGuard:
    def __init__(
        self, redis: Redis, service: str, rebuild: Rebuild, *, check_interval_s: float = 1.0, lock_timeout_s: int = 900
    ) -> None:
        self._redis = redis
        self._service = service
        self._rebuild = rebuild
        self._check_interval_s = check_interval_s
        self._lock_timeout_s = lock_timeout_s
        self._open = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._in_flight = 0
        self._rebuilding = asyncio.Lock()
        self.last_report: dict[str, int] = {}

    @property
    def marker(self) -> str:
        return state_marker(self._service)

    @property
    def ready(self) -> bool:
        return self._open.is_set()

    @property
    def in_flight(self) -> int:
        """Handlers past the gate and not yet finished."""
        return self._in_flight

    async def intact(self) -> bool:
        return bool(await self._redis.exists(self.marker))

    async def ensure(self) -> None:
        """Rebuild now if the marker is missing; return once the state is there (or was already)."""
        if self._open.is_set() and await self.intact():
            return
        async with self._rebuilding:
            if await self.intact():
                self._open.set()
                return
            self._open.clear()
            await self._idle.wait()  # handlers that passed the gate before it closed
            async with self._redis.lock(f"{self._service}:state:rebuild", timeout=self._lock_timeout_s):
                if not await self.intact():  # another instance may have rebuilt it meanwhile
                    started = time.monotonic()
                    log.warning("state missing in Redis: rebuilding from the log", extra={"service": self._service})
                    await self._rebuild_until_whole()
                    log.warning(
                        "state rebuilt from the log",
                        extra={"service": self._service, "seconds": round(time.monotonic() - started, 2),
                               **self.last_report},
                    )  # fmt: skip
            self._open.set()

    async def _rebuild_until_whole(self) -> None:
        """Rebuild, and again if Redis was emptied while rebuilding (the pending key is gone): the marker
        is never written over half a state."""
        pending = f"{self.marker}:pending"
        while True:
            await self._redis.set(pending, datetime.now(UTC).isoformat())
            self.last_report = await self._rebuild()
            if await self._redis.delete(pending):
                await self._redis.set(self.marker, datetime.now(UTC).isoformat())
                return
            log.warning("Redis was emptied during the rebuild: rebuilding again", extra={"service": self._service})

    async def watch_forever(self) -> None:
        """Check the marker every `check_interval_s`; rebuild when it has gone."""
        while True:
            try:
                await self.ensure()
            except Exception:
                log.exception("state rebuild failed; trying again", extra={"service": self._service})
            await asyncio.sleep(self._check_interval_s)

    @asynccontextmanager
    async def passing(self) -> AsyncIterator[None]:
        """Wait for the gate; count the caller in flight; raise StateLost if the state vanished meanwhile."""
        await self._open.wait()
        self._in_flight += 1
        self._idle.clear()
        try:
            if not await self.intact():
                raise StateLost(f"{self._service} state is missing from Redis")
            try:
                yield
            except Exception as exc:
                if not await self.intact():  # it failed because the state vanished under it
                    raise StateLost(f"{self._service} state vanished while handling a message") from exc
                raise
            if not await self.intact():
                raise StateLost(f"{self._service} state vanished while handling a message")
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
