"""The HTTP door's own limits: a request body over `max_bytes` is a 413 before anything parses it, and a
422 names the field and the rule without repeating what was sent (no `input`, no personal data)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.idempotency import IdempotentPosts, Identify
from shared.settings import ServiceSettings

MAX_ERRORS = 50
MAX_MESSAGE_CHARS = 200
PERSONAL = frozenset({"contact"})  # errors below these fields say only what kind of rule failed


class BodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"corps de requête trop volumineux : {max_bytes} octets au plus"
            f" / request body over the limit of {max_bytes} bytes",
        )


class BodyTooSlow(Exception):
    """Not an HTTPException: it must reach BodyLimit, which answers 408 and closes the connection (the rest of
    the body may still come; nothing else can be read on it)."""

    def __init__(self, timeout_s: float) -> None:
        self.detail = (
            f"corps de requête interrompu : rien reçu pendant {timeout_s:g} s"
            f" / request body stalled for {timeout_s:g} s"
        )
        super().__init__(self.detail)


class BodyLimit:
    """ASGI middleware: refuse by Content-Length at once, count the bytes of a body sent without one, and
    refuse (408) a body that stops arriving for `body_timeout_s`."""

    def __init__(self, app: ASGIApp, max_bytes: int, body_timeout_s: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), timeout=self.body_timeout_s)
            except TimeoutError:
                raise BodyTooSlow(self.body_timeout_s) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send)
        except BodyTooSlow as exc:
            if started:
                raise
            response = JSONResponse(
                {"detail": exc.detail}, status_code=status.HTTP_408_REQUEST_TIMEOUT, headers={"Connection": "close"}
            )
            await response({"type": "http"}, _no_body, send)

    async def _refuse(self, send: Send) -> None:
        detail = BodyTooLarge(self.max_bytes).detail
        await JSONResponse({"detail": detail}, status_code=status.HTTP_413_CONTENT_TOO_LARGE)(
            {"type": "http"}, _no_body, send
        )


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def field_error(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error as answered: where and which rule, never the value."""
    loc = list(error.get("loc", ()))
    message = str(error.get("msg", "")).removeprefix("Value error, ")  # our rules' words come first, in French
    value = error.get("input")
    if any(part in PERSONAL for part in loc):
        message = f"valeur refusée ({error.get('type')}) / value refused"
    elif isinstance(value, str) and len(value) >= 3 and value in message:
        message = message.replace(value, "…")
    return {"loc": loc, "msg": message[:MAX_MESSAGE_CHARS], "type": error.get("type", "value_error")}


def add_request_limits(app: FastAPI, settings: ServiceSettings, cache: Redis, service: str, identify: Identify) -> None:
    """The body limit first (outermost), then `Idempotency-Key` on POST for authenticated callers (records in
    the cache Redis, at most `idempotency_keys_per_caller` each), then the app; 422s without echo."""
    per_caller = settings.idempotency_keys_per_caller
    app.add_middleware(IdempotentPosts, redis=cache, prefix=service, identify=identify, per_caller=per_caller)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes, body_timeout_s=settings.http_body_timeout_s)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [field_error(dict(error)) for error in exc.errors()[:MAX_ERRORS]]
        return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
