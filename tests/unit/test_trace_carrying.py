"""Where no exporter takes spans, the trace context still runs through HTTP and Kafka
(`shared.observability.trace_carrying`): a request continues the caller's trace or starts one and names it in
`traceresponse`, and what is published while it runs carries that trace; a service that records spans keeps
the library instrumentation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from shared.observability import telemetry
from shared.observability.trace_carrying import CarryTraceContext

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@asynccontextmanager
async def door(provider: TracerProvider, published: list[dict[str, str]]) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP door that publishes one message per request, wired as the services wire theirs."""
    middlewares = telemetry.broker_middlewares("test", provider, CollectorRegistry())
    broker = KafkaBroker("127.0.0.1:9", middlewares=middlewares)
    app = FastAPI()

    @broker.subscriber("traced.v1")
    async def receive(body: str, msg: KafkaMessage) -> None:
        published.append(dict(msg.headers))

    @app.post("/sign")
    async def sign() -> dict[str, str | None]:
        await broker.publish("signed", "traced.v1")
        return {"trace_id": telemetry.current_trace_id()}

    telemetry.instrument_http(app, provider)
    transport = httpx.ASGITransport(app=app)
    async with TestKafkaBroker(broker), httpx.AsyncClient(transport=transport, base_url="http://door") as client:
        yield client


async def test_a_request_continues_the_callers_trace_and_what_it_publishes_carries_it() -> None:
    provider = telemetry.tracer_provider("test", "1")
    published: list[dict[str, str]] = []
    async with door(provider, published) as client:
        answer = await client.post("/sign", headers={"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"})
    assert not telemetry.records_spans(provider)
    assert answer.json()["trace_id"] == CALLER_TRACE
    assert answer.headers["traceresponse"].split("-")[1] == CALLER_TRACE
    [headers] = published
    assert headers["traceparent"].split("-")[1] == CALLER_TRACE


async def test_a_request_without_a_trace_starts_one_and_names_it() -> None:
    published: list[dict[str, str]] = []
    async with door(telemetry.tracer_provider("test", "1"), published) as client:
        answers = [await client.post("/sign") for _ in range(2)]
    traces = [answer.json()["trace_id"] for answer in answers]
    assert all(traces) and traces[0] != traces[1]
    assert [answer.headers["traceresponse"].split("-")[1] for answer in answers] == traces
    assert [headers["traceparent"].split("-")[1] for headers in published] == traces


def test_only_a_provider_that_records_spans_gets_the_library_instrumentation() -> None:
    recording = telemetry.tracer_provider("test", "1", exporter=InMemorySpanExporter())
    silent = telemetry.tracer_provider("test", "1")
    assert telemetry.records_spans(recording) and not telemetry.records_spans(silent)
    assert CarryTraceContext in telemetry.broker_middlewares("test", silent, CollectorRegistry())
    assert CarryTraceContext not in telemetry.broker_middlewares("test", recording, CollectorRegistry())
