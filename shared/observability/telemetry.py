"""OpenTelemetry and Prometheus for a service, through the libraries that exist for them.

- Traces: one SDK tracer provider per service, exporting over OTLP/HTTP when
  `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the SDK reads the standard `OTEL_*` variables); FastStream's
  Kafka telemetry middleware carries the W3C trace context (`traceparent`) from a consumed message to
  every message published while handling it, and the FastAPI instrumentation does the same from an HTTP
  request, answering with a `traceresponse` header. One CIR signing is one trace across the three
  services. With no exporter, spans are not recorded (sampler ALWAYS_OFF) and FastStream's middleware,
  which builds two spans per publish and one per batch (about 85 µs of CPU a message, measured), gives
  way to `shared.observability.trace_carrying`, which only carries the trace context (so does HTTP): the trace ids
  still run through HTTP, Kafka and every log line, for the cost of a header.
- Metrics: FastStream's Prometheus middleware counts messages received, processed, published, their
  durations and exceptions, per topic, in the service's Prometheus registry (served at /metrics).
- Logs: every line written while a span is current carries its `trace_id` (and `span_id`), and, while an
  event is handled, its `event_id`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.propagators import TraceResponsePropagator, set_global_response_propagator
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import format_span_id, format_trace_id
from prometheus_client import CollectorRegistry

from shared.observability.trace_carrying import CarryHttpTraceContext, CarryTraceContext

TRACEPARENT = "traceparent"  # W3C Trace Context, on every Kafka message and HTTP request
TRACE_HEADERS = ("traceparent", "tracestate", "baggage")  # what the telemetry middleware writes on publish
OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
UNMONITORED_URLS = "health,metrics"  # probes are not traced

_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)


def tracer_provider(service: str, instance: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """The service's tracer provider; spans go to `exporter`, else over OTLP when the endpoint is set,
    else nowhere: then they are not recorded at all (the trace context is still carried, and logged)."""
    resource = Resource.create(
        {SERVICE_NAME: f"passerelle-{service}", SERVICE_INSTANCE_ID: instance, SERVICE_VERSION: "0.1.0"}
    )
    if exporter is None and os.environ.get(OTLP_ENDPOINT):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    if exporter is None:
        return TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def records_spans(provider: TracerProvider) -> bool:
    """Whether the provider's spans go anywhere (see `tracer_provider`)."""
    return provider.sampler is not ALWAYS_OFF


def broker_middlewares(service: str, provider: TracerProvider, registry: CollectorRegistry) -> list[Any]:
    """FastStream broker middlewares: trace context through Kafka, and Prometheus message metrics."""
    prometheus = KafkaPrometheusMiddleware(registry=registry, app_name=f"passerelle-{service}")
    if records_spans(provider):
        return [KafkaTelemetryMiddleware(tracer_provider=provider), prometheus]
    return [CarryTraceContext, prometheus]


def instrument_http(app: FastAPI, provider: TracerProvider) -> None:
    """Each request joins the caller's trace (its `traceparent`) or starts one; the answer carries a
    `traceresponse` header naming it."""
    if not records_spans(provider):
        app.add_middleware(CarryHttpTraceContext, tracer=provider.get_tracer("passerelle.http"))
        return
    set_global_response_propagator(TraceResponsePropagator())
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls=UNMONITORED_URLS, exclude_spans=["receive", "send"]
    )


@contextmanager
def handling(event_id: str) -> Iterator[None]:
    """Log lines written inside name the event being handled."""
    token = _event_id.set(event_id)
    try:
        yield
    finally:
        _event_id.reset(token)


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format_trace_id(context.trace_id) if context.is_valid else None


class TraceLogFilter(logging.Filter):
    """Adds `trace_id`, `span_id` and `event_id` to every log record made while handling something."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format_trace_id(context.trace_id)
            record.span_id = format_span_id(context.span_id)
        event = _event_id.get()
        if event:
            record.event_id = event
        return True
