"""Matching's application: the runtime every service starts from, matching wired by its bootstrap, its
schedule (the batch re-solve, as a command) and its ASGI routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.types import Scope
from prometheus_client import CONTENT_TYPE_LATEST

from services.matching.bootstrap import SERVICE, bootstrap, redis_adapters, start_up_history
from services.matching.config import MatchingSettings
from services.matching.service_layer.commands import OfferSeatsToTheWaiting, Reoptimise
from services.matching.service_layer.propose import Clock
from services.matching.topology import TOPOLOGY
from shared.messaging.asyncapi import asyncapi_document
from shared.service_runtime import ServiceRuntime


def utc_now() -> datetime:
    return datetime.now(UTC)


def _json(body: dict[str, Any], status: int) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status, headers={"content-type": "application/json"})


def create_app(settings: MatchingSettings, clock: Clock = utc_now) -> AsgiFastStream:
    runtime = ServiceRuntime.start(settings, TOPOLOGY)
    broker, meter = runtime.broker, runtime.meter
    history, own_model = start_up_history(settings)
    matching = bootstrap(
        settings, redis_adapters(runtime.redis, settings.instance_id), runtime.outlet, runtime.event_log, clock,
        meter.failed, history, own_model,
    )  # fmt: skip
    runtime.consume(matching.routes, matching.rebuild)
    interval = settings.reoptimise_interval_s
    runtime.every(interval, matching.bus, lambda: Reoptimise(lease_ms=int(interval * 1000 * 0.9)))
    runtime.every(settings.standing_demand_sweep_s, matching.bus, lambda: OfferSeatsToTheWaiting(clock()))

    @get(include_in_schema=False)
    async def health(scope: Scope) -> AsgiResponse:
        """Ready when the broker answers; reports how many openings matching knows and the model it scores
        with (version 0: this instance's own, the prior or what it learned from its start-up history)."""
        ok = await broker.ping(timeout=2.0)
        model = await matching.live.model()
        known = await matching.adapters.openings.count()
        body = {
            "service": SERVICE, "status": "ok" if ok else "down", "openings_known": known,
            "model": {"version": model.version, "family": model.family, "columns": len(model.columns)},
        }  # fmt: skip
        return _json(body, 200 if ok else 503)

    @get(include_in_schema=False)
    async def seats(scope: Scope) -> AsgiResponse:
        """Capacity and seats left of one opening, as matching sees them: `/seats?opening_id=…`."""
        opening_id = (parse_qs(scope.get("query_string", b"").decode()).get("opening_id") or [""])[0]
        if not opening_id:
            return _json({"detail": "query parameter opening_id is required"}, 422)
        capacity, available = (
            await matching.adapters.seats.capacity(opening_id),
            await matching.adapters.seats.available(opening_id, clock()),
        )
        return _json({"opening_id": opening_id, "capacity": capacity, "available": available}, 200)

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:
        """Prometheus metrics."""
        return AsgiResponse(meter.prometheus(), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    @get(include_in_schema=False)
    async def asyncapi(scope: Scope) -> AsgiResponse:
        """This service's AsyncAPI document, generated from the code."""
        return _json(asyncapi_document(SERVICE, broker), 200)

    async def run_background() -> None:
        runtime.run_background()

    async def stop_background() -> None:
        runtime.stop_background()

    return AsgiFastStream(
        broker,
        asgi_routes=[("/health", health), ("/seats", seats), ("/asyncapi.json", asyncapi), ("/metrics", metrics)],
        on_startup=[runtime.prepare],
        after_startup=[run_background],
        on_shutdown=[stop_background],
        after_shutdown=[runtime.close],
    )
