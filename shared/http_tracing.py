"""Each HTTP request joins the caller's trace (its `traceparent` header) or starts one, and answers
with the `traceparent` it used."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from shared import tracing


def add_tracing(app: FastAPI) -> None:
    @app.middleware("http")
    async def trace_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        with tracing.traced(request.headers.get(tracing.HEADER)) as traceparent:
            response = await call_next(request)
        response.headers[tracing.HEADER] = traceparent
        return response
