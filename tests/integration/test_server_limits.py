"""The HTTP server's own limits (issue 30, class 11), on a real uvicorn configured as the services are
(shared/http/server.py) and raw sockets: a client that sends its headers too slowly is cut off, a body
that stops arriving is a 408, and connections beyond the cap are answered 503 at once. Before, a slow
client was held open for as long as it liked."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI, Request

from passerelle.embedded.processes import free_port
from shared.http.request_limits import BodyLimit
from shared.http.server import server_config
from shared.settings import ServiceSettings
from tests.support import eventually

LIMITS = {"http_header_timeout_s": 0.5, "http_body_timeout_s": 0.5, "http_max_connections": 4}


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "ok"}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimit, max_bytes=1000, body_timeout_s=LIMITS["http_body_timeout_s"])
    return app


@pytest.fixture
async def server() -> AsyncIterator[int]:
    port = free_port()
    settings = ServiceSettings(kafka_bootstrap_servers="unused:1", redis_url="redis://unused", http_port=port, **LIMITS)
    running = uvicorn.Server(server_config(settings, _app()))
    task = asyncio.create_task(running.serve())

    async def started() -> bool:
        return running.started

    await eventually(started, timeout_s=10, what="uvicorn to start")
    yield port
    running.should_exit = running.force_exit = True  # a connection still held open must not hold the test
    await asyncio.wait_for(task, timeout=15)


async def _closed_by_the_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (or 5 s, whichever comes first)."""
    received = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            chunk = await asyncio.wait_for(reader.read(1024), timeout=deadline - time.monotonic())
        except TimeoutError:
            break
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"still open after 5 s; received {received!r}")


async def test_a_client_slow_to_send_its_headers_is_cut_off(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    try:
        started = time.monotonic()
        writer.write(b"GET /ping HTTP/1.1\r\nHost: passerelle\r\n")  # and the rest never comes
        await writer.drain()
        answer = await _closed_by_the_server(reader)
        assert time.monotonic() - started < 3
        assert answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        writer.close()


async def test_a_body_that_stops_arriving_is_a_408(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    try:
        writer.write(b"POST /echo HTTP/1.1\r\nHost: passerelle\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"a\":")  # fmt: skip
        await writer.drain()
        answer = await _closed_by_the_server(reader)
        assert answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        writer.close()


async def test_connections_beyond_the_cap_are_refused_at_once_and_others_still_served(server: int) -> None:
    held = [await asyncio.open_connection("127.0.0.1", server) for _ in range(LIMITS["http_max_connections"])]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server)
        writer.write(b"GET /ping HTTP/1.1\r\nHost: passerelle\r\nConnection: close\r\n\r\n")
        await writer.drain()
        answer = await _closed_by_the_server(reader)
        assert answer.startswith(b"HTTP/1.1 503"), answer
    finally:
        for _, held_writer in held:
            held_writer.close()
            with contextlib.suppress(ConnectionError):
                await held_writer.wait_closed()

    async def served() -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", server)
        writer.write(b"GET /ping HTTP/1.1\r\nHost: passerelle\r\nConnection: close\r\n\r\n")
        await writer.drain()
        answer = await _closed_by_the_server(reader)
        return answer.startswith(b"HTTP/1.1 200")

    await eventually(served, timeout_s=5, what="a request served once the held connections are gone")
