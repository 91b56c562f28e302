"""Idempotency records against a real Redis (issue 30, class 5): kept only for a caller who authenticates,
never for an anonymous or unknown one, and at most `per_caller` of them at a time (a 429 beyond, and an
earlier key still answers its first answer)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from shared.http.idempotency import IdempotentPosts


async def _identify(header: bytes | None) -> str | None:
    return "key-1" if header == b"Bearer the-right-key" else None


def _app(redis: Redis) -> tuple[FastAPI, list[int]]:
    app, effects = FastAPI(), []

    @app.post("/things")
    async def make() -> dict[str, int]:
        effects.append(1)
        return {"made": len(effects)}

    app.add_middleware(IdempotentPosts, redis=redis, prefix="test", identify=_identify, per_caller=3)
    return app, effects


async def test_records_are_kept_only_for_a_known_caller_and_only_so_many(private_redis: Redis) -> None:
    app, effects = _app(private_redis)
    known = {"Authorization": "Bearer the-right-key"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://door") as client:
        for n in range(5):  # anonymous, and a key that is not one: served, nothing kept
            for headers in ({}, {"Authorization": "Bearer forged"}):
                answer = await client.post("/things", headers=headers | {"Idempotency-Key": f"a-{n}"})
                assert answer.status_code == 200
        assert [k async for k in private_redis.scan_iter("test:*")] == []

        first = [await client.post("/things", headers=known | {"Idempotency-Key": f"k-{n}"}) for n in range(3)]
        assert [a.json()["made"] for a in first] == [11, 12, 13]
        beyond = await client.post("/things", headers=known | {"Idempotency-Key": "k-3"})
        assert beyond.status_code == 429 and "trop de clés" in beyond.json()["detail"]
        assert int(beyond.headers["retry-after"]) >= 1
        again = await client.post("/things", headers=known | {"Idempotency-Key": "k-0"})
        assert again.json() == {"made": 11} and again.headers["idempotent-replayed"] == "true"
    assert len(effects) == 13  # ten anonymous, three recorded; the refused fourth and the replay made nothing
