"""A stack of its own (own Tansu, Redis and services) for tests that kill services or move clocks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx

from passerelle.infrastructure import Infrastructure
from passerelle.stack import ServiceStack
from tests.e2e.access import ActAs


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


@asynccontextmanager
async def referrals_client(stack: ServiceStack) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the stack's referrals API that acts as whoever each call expects (see access.py)."""
    base_url = stack.url("referrals")
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0, auth=ActAs(base_url)) as client:
        yield client
