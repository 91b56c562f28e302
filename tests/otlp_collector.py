"""A small OpenTelemetry collector for the tests: it receives OTLP/HTTP trace exports (protobuf) from the
services, as a real collector would, and keeps the spans so a test can look at one trace. It runs on
loopback in a thread, with uvicorn."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import uvicorn
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from passerelle.embedded.processes import free_port, wait_until

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    service: str  # the resource's service.name
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int


class OtlpCollector:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"  # OTEL_EXPORTER_OTLP_ENDPOINT: /v1/traces is added
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        app = Starlette(routes=[Route("/v1/traces", self._traces, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        wait_until(lambda: self._server.started, timeout_s=10, what="the test OTLP collector")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self._lock:
            return [span for span in self._spans if span.trace_id == trace_id]

    async def _traces(self, request: Request) -> Response:
        if request.headers.get("content-type") != PROTOBUF:
            return Response("OTLP/HTTP protobuf only", status_code=415)
        export = ExportTraceServiceRequest.FromString(await request.body())
        received = []
        for resource_spans in export.resource_spans:
            names = [a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"]
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            service=names[0] if names else "",
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex() or None,
                            name=span.name,
                            kind=span.kind,
                        )
                    )
        with self._lock:
            self._spans.extend(received)
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)
