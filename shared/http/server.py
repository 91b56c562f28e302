"""Running a service's ASGI app: the one place uvicorn is configured."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn
from pydantic import ValidationError

from shared.http.slow_clients import with_header_timeout
from shared.observability.logging_setup import configure_logging
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


EXIT_CONFIGURATION = 2


def settings_or_exit(service: str, settings: Callable[[], S]) -> S:
    """The service's settings, or a refusal to start that names every setting at fault, one a line, and exits
    with 2 (no traceback: the operator reads what to set, not where it failed)."""
    try:
        return settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            if error["type"] == "missing":
                name = "_".join(str(part) for part in error["loc"]).upper()
                lines.append(f"{name} : à fournir / must be set")
            else:
                where = "_".join(str(part) for part in error["loc"]).upper()
                message = str(error["msg"]).removeprefix("Value error, ")
                lines += [f"{where} : {part}" if where else part for part in message.split("; ")]
        sys.stderr.write(f"{service} ne démarre pas / does not start:\n" + "".join(f"  - {line}\n" for line in lines))
        raise SystemExit(EXIT_CONFIGURATION) from None


def server_config(settings: ServiceSettings, app: Any) -> uvicorn.Config:
    """uvicorn as every service runs it: a deadline for each request's headers (slow clients are cut off
    with a 408), idle keep-alive connections closed after HTTP_KEEP_ALIVE_S, and at most
    HTTP_MAX_CONNECTIONS connections and requests at once (503 beyond); the body's own deadline is the
    BodyLimit middleware's. A reverse proxy in front keeps its own limits (docs/security.md)."""
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        http=with_header_timeout(settings.http_header_timeout_s),
        timeout_keep_alive=settings.http_keep_alive_s,
        limit_concurrency=settings.http_max_connections,
        timeout_graceful_shutdown=10,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,  # no "server: uvicorn" (ASVS 14.3.3)
    )


def serve(service: str, settings: S, create_app: Callable[[S], Any]) -> None:
    """Configure logging, build the app and serve it until stopped (SIGINT/SIGTERM)."""
    configure_logging(service, settings.instance_id, settings.log_format, settings.log_level)
    uvicorn.Server(server_config(settings, create_app(settings))).run()
