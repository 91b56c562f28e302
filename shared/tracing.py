"""W3C trace context through HTTP and Kafka: one signing can be followed across the three services.

An HTTP request or a consumed message sets the current `traceparent`; every event published while
handling it carries a child of it in its `traceparent` header; every log line carries the trace id and
the event id."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "traceparent"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_current: ContextVar[str | None] = ContextVar("traceparent", default=None)
_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def valid(traceparent: str | None) -> bool:
    return bool(traceparent and _TRACEPARENT.match(traceparent))


def trace_id(traceparent: str) -> str:
    return traceparent.split("-")[1]


def child_of(traceparent: str | None) -> str:
    """Same trace, new span; a new trace when there is none (or it is malformed)."""
    if not valid(traceparent):
        return new_traceparent()
    assert traceparent is not None
    return f"00-{trace_id(traceparent)}-{secrets.token_hex(8)}-01"


def current() -> str | None:
    return _current.get()


@contextmanager
def traced(traceparent: str | None, event_id: str | None = None) -> Iterator[str]:
    """Run a block as part of `traceparent`'s trace (a new one when absent)."""
    active = traceparent if traceparent is not None and valid(traceparent) else new_traceparent()
    token, event_token = _current.set(active), _event_id.set(event_id)
    try:
        yield active
    finally:
        _current.reset(token)
        _event_id.reset(event_token)


class TraceLogFilter(logging.Filter):
    """Adds `trace_id` and `event_id` to every log record made while handling something."""

    def filter(self, record: logging.LogRecord) -> bool:
        active = _current.get()
        if active:
            record.trace_id = trace_id(active)
        event = _event_id.get()
        if event:
            record.event_id = event
        return True
