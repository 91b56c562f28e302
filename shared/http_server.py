"""Running a service's ASGI app: the one place uvicorn is configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn

from shared.logging_setup import configure_logging
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def serve(service: str, settings: S, create_app: Callable[[S], Any]) -> None:
    """Configure logging, build the app and serve it until stopped (SIGINT/SIGTERM)."""
    configure_logging(service, settings.instance_id, settings.log_format, settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_keep_alive=settings.http_keep_alive_s,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
