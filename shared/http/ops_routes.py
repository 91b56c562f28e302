"""The operational routes every HTTP service serves the same way: Prometheus metrics and AsyncAPI."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from shared.messaging.asyncapi import asyncapi_document
from shared.observability.metering import Meter


def add_ops_routes(app: FastAPI, service: str, broker: Any, meter: Meter) -> None:
    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        """Prometheus metrics: messages in and out per topic, handler latency, errors, dead letters."""
        return PlainTextResponse(meter.prometheus(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["ops"])
    async def asyncapi() -> dict[str, Any]:
        """This service's AsyncAPI document (topics, events, schemas), generated from the code."""
        return asyncapi_document(service, broker)
