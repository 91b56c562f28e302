"""The one way services open Redis."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 100  # per process
WAIT_FOR_CONNECTION_S = 10.0


def make_redis(url: str) -> Redis:
    """A client with text responses; the caller owns it and must `aclose()` it.

    The pool blocks when all its connections are busy: under a burst a request waits for a connection
    (up to WAIT_FOR_CONNECTION_S) instead of failing with "Too many connections" (the default pool raises
    at 100, which a load of 1,000 signings/s reached)."""
    pool = BlockingConnectionPool.from_url(
        url, decode_responses=True, max_connections=MAX_CONNECTIONS, timeout=WAIT_FOR_CONNECTION_S
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both
