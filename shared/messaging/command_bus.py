"""Commands and the bus that runs them: an imperative request (from HTTP, the console, the CLI or a
schedule) names what to do; the bus finds its one handler in the service's table, runs it and logs it.
Events, the past tense, travel on Kafka and reach their handlers through the consumed-topic routes."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

R = TypeVar("R")
log = logging.getLogger(__name__)


class Command(Generic[R]):
    """Subclasses are frozen dataclasses; `R` is what handling one returns."""


class CommandBus:
    def __init__(self, handlers: Mapping[type[Command[Any]], Callable[[Any], Awaitable[Any]]]) -> None:
        self.handlers = dict(handlers)

    async def handle(self, command: Command[R]) -> R:
        handler = self.handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        started = time.perf_counter()
        result: R = await handler(command)
        log.debug("command handled", extra={"command": type(command).__name__,
                                           "ms": round((time.perf_counter() - started) * 1000, 2)})  # fmt: skip
        return result
