"""The one way services open Redis."""

from __future__ import annotations

from redis.asyncio import Redis


def make_redis(url: str) -> Redis:
    """A client with text responses; the caller owns it and must `aclose()` it."""
    return Redis.from_url(url, decode_responses=True)
