"""The W3C trace context carried without recording spans, for a service whose spans go nowhere.

FastStream's Kafka telemetry middleware builds two spans per published message and one per consumed batch,
and the FastAPI instrumentation matches the request against every route to name its span: about 85 µs of
CPU per message and 730 µs per request (measured on the project's 2-core machine, with 120 routes), spent
on spans that no exporter takes. These two do only what the trace needs when nothing is exported: every
request joins the caller's trace or starts one and names it in `traceresponse`; every published message
carries the current `traceparent`; so one signing is still one trace id across the services and in every
log line. `shared.observability.telemetry` chooses them when the provider does not record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from faststream import BaseMiddleware
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.propagators import TraceResponsePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_RESPONSE_PROPAGATOR = TraceResponsePropagator()
_CARRIED = (b"traceparent", b"tracestate")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CarryTraceContext(BaseMiddleware):  # type: ignore[type-arg]
    """FastStream broker middleware: the current trace context on every published message."""

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        _PROPAGATOR.inject(cmd.headers)
        return await call_next(cmd)


class CarryHttpTraceContext:
    """ASGI middleware: each HTTP request runs in a (non-recorded) server span that continues the caller's
    `traceparent` or starts a trace, and the answer names it in a `traceresponse` header."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {name.decode(): value.decode("latin-1") for name, value in scope["headers"] if name in _CARRIED}
        parent = _PROPAGATOR.extract(carrier)
        span = self.tracer.start_span(scope["method"], context=parent, kind=trace.SpanKind.SERVER)
        current = trace.set_span_in_context(span, parent)

        async def send_naming_the_trace(message: Message) -> None:
            if message["type"] == "http.response.start":
                named: dict[str, str] = {}
                _RESPONSE_PROPAGATOR.inject(named, context=current)
                extra = [(name.encode(), value.encode()) for name, value in named.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        token = otel_context.attach(current)
        try:
            await self.app(scope, receive, send_naming_the_trace)
        finally:
            otel_context.detach(token)
            span.end()
