"""`Idempotency-Key` on POST: a client whose answer was lost sends the same request again with the same key
and gets the first answer back (24 h), never a second effect nor a 409 it cannot tell from a conflict.

Only for callers who authenticate: `identify` names the caller of an Authorization header (an API key's
id, the administrator), or None — and then the request goes through as if it carried no key, writing
nothing (anonymous requests must not fill Redis). A caller keeps at most `per_caller` records at a time
(a 429 beyond, with when to retry). The record is kept per caller, per key, with a digest of the request:
the same key with another request is a 422. While the first request runs, a repeat is a 409. Answers a
retry could change are not kept (401, 403, 413, 429 and 5xx): the retry runs again. The records live in
the cache Redis, apart from the state; after their loss a retry runs again, which every POST tolerates (a
repeated signing is recognised; a repeated partner answer is a 409 naming the status reached)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
KEY_FORMAT = re.compile(rb"^[\x21-\x7e]{1,255}$")
RETRY_MAY_CHANGE = frozenset({401, 403, 413, 429})
PENDING = "pending"
BAD_KEY = "1 à 255 caractères ASCII visibles / 1 to 255 visible ASCII characters"
KEY_REUSED = "clé déjà utilisée pour une autre requête / key already used for another request"
STILL_RUNNING = "la même requête est encore en cours ; réessayez / the same request is still running; retry"
TOO_MANY = (
    "trop de clés d'idempotence en 24 h pour ce client ; réessayez plus tard"
    " / too many idempotency keys in 24 h for this caller; retry later"
)
Identify = Callable[[bytes | None], Awaitable[str | None]]


def _key_error(message: str) -> dict[str, object]:
    return {"detail": [{"loc": ["header", "Idempotency-Key"], "msg": message, "type": "value_error"}]}


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


class IdempotentPosts:
    def __init__(
        self,
        app: ASGIApp,
        redis: Redis,
        prefix: str,
        identify: Identify,
        per_caller: int = 10_000,
        ttl_s: int = 24 * 3600,
        pending_s: int = 60,
    ) -> None:
        self.app = app
        self.redis = redis
        self.prefix = prefix
        self.identify = identify
        self.per_caller = per_caller
        self.ttl_s = ttl_s
        self.pending_s = pending_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        key = headers.get(HEADER)
        if key is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        if not KEY_FORMAT.match(key):
            await _answer(send, 422, _key_error(BAD_KEY))
            return
        caller = await self.identify(headers.get(b"authorization"))
        if caller is None:  # not authenticated: answered as without a key, and nothing is kept
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        request = _digest(scope["path"].encode(), scope.get("query_string", b""), body)
        owner = _digest(caller.encode())[:32]
        record_key = f"{self.prefix}:idempotency:{owner}:{_digest(key)[:32]}"
        if not await self.redis.set(record_key, json.dumps({"state": PENDING, "request": request}), nx=True,
                                    ex=self.pending_s):  # fmt: skip
            await self._repeat(record_key, request, send)
            return
        if not await self._within_bound(owner):
            await self.redis.delete(record_key)
            await _answer(send, 429, {"detail": TOO_MANY}, retry_after=True)
            return
        captured = _Captured()
        try:
            await self.app(scope, _replay(body), captured.sending_to(send))
        finally:
            if captured.status is None or captured.status >= 500 or captured.status in RETRY_MAY_CHANGE:
                await self.redis.delete(record_key)
            else:
                await self.redis.set(record_key, json.dumps(captured.record(request)), ex=self.ttl_s)

    async def _within_bound(self, owner: str) -> bool:
        """Count a new record for the caller; False beyond `per_caller` within the records' lifetime."""
        counter = f"{self.prefix}:idempotency-count:{owner}"
        count = int(await self.redis.incr(counter))
        if count == 1:
            await self.redis.expire(counter, self.ttl_s)
        return count <= self.per_caller

    async def _repeat(self, record_key: str, request: str, send: Send) -> None:
        raw = await self.redis.get(record_key)
        record: dict[str, Any] = json.loads(raw) if raw else {"state": PENDING, "request": request}
        if record["request"] != request:
            await _answer(send, 422, _key_error(KEY_REUSED))
        elif record["state"] == PENDING:
            await _answer(send, 409, {"detail": STILL_RUNNING}, retry_after=True)
        else:
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record["headers"]]
            await send({"type": "http.response.start", "status": record["status"],
                        "headers": [*headers, (REPLAYED_HEADER, b"true")]})  # fmt: skip
            await send({"type": "http.response.body", "body": bytes.fromhex(record["body"])})


class _Captured:
    KEPT_HEADERS = frozenset({b"content-type", b"location"})

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.body = bytearray()

    def sending_to(self, send: Send) -> Send:
        async def capturing(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", ())
                                if k.lower() in self.KEPT_HEADERS]  # fmt: skip
            elif message["type"] == "http.response.body":
                self.body.extend(message.get("body", b""))
            await send(message)

        return capturing

    def record(self, request: str) -> dict[str, object]:
        return {"state": "done", "request": request, "status": self.status, "headers": self.headers,
                "body": self.body.hex()}  # fmt: skip


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _answer(send: Send, status: int, body: object, retry_after: bool = False) -> None:
    headers = [(b"content-type", b"application/json")] + ([(b"retry-after", b"1")] if retry_after else [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()})
