"""A stack of its own (own Tansu, Redis and services) for tests that kill services or move clocks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from passerelle.infrastructure import Infrastructure
from passerelle.stack import ServiceStack


@contextmanager
def isolated_stack(extra_env: dict[str, str] | None = None) -> Iterator[ServiceStack]:
    infrastructure = Infrastructure(use_environment=False)
    infrastructure.start()
    stack = ServiceStack(infrastructure, extra_env=extra_env or {})
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        infrastructure.stop()
