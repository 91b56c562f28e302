"""HTTP side of rebuildable state: while a service rebuilds its Redis state, its API answers 503."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from shared.state_guard import StateGuard

RETRY_AFTER_S = "2"
UNGUARDED_PREFIXES = ("/health", "/metrics", "/asyncapi", "/openapi", "/docs", "/ops", "/v1/ops")


def add_state_gate(app: FastAPI, guard: StateGuard) -> None:
    """Answer 503 with Retry-After on the API while the state is missing or being rebuilt, and start
    the rebuild at once rather than waiting for the next periodic check."""
    rebuilding: set[asyncio.Task[None]] = set()

    @app.middleware("http")
    async def state_gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path.startswith(UNGUARDED_PREFIXES):
            return await call_next(request)
        if guard.ready and await guard.intact():
            return await call_next(request)
        if not rebuilding:
            task = asyncio.create_task(guard.ensure())
            rebuilding.add(task)
            task.add_done_callback(rebuilding.discard)
        return JSONResponse(
            {"detail": "the service is rebuilding its state from the event log; retry shortly"},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER_S},
        )
