"""HTTP side of rebuildable state: while a service rebuilds its Redis state, its API answers 503."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.messaging.state_guard import StateGuard

RETRY_AFTER_S = "2"
UNGUARDED_PREFIXES = ("/health", "/metrics", "/asyncapi", "/openapi", "/docs", "/ops", "/v1/ops")


class StateGate:
    """Answer 503 with Retry-After on the API while the state is missing or being rebuilt, and start
    the rebuild at once rather than waiting for the next periodic check (plain ASGI: no task per request)."""

    def __init__(self, app: ASGIApp, guard: StateGuard) -> None:
        self.app = app
        self.guard = guard
        self._rebuilding: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNGUARDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self.guard.ready and await self.guard.intact():
            await self.app(scope, receive, send)
            return
        if not self._rebuilding:
            task = asyncio.create_task(self.guard.ensure())
            self._rebuilding.add(task)
            task.add_done_callback(self._rebuilding.discard)
        refusal = JSONResponse(
            {"detail": "the service is rebuilding its state from the event log; retry shortly"},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER_S},
        )
        await refusal(scope, receive, send)


def add_state_gate(app: FastAPI, guard: StateGuard) -> None:
    app.add_middleware(StateGate, guard=guard)
