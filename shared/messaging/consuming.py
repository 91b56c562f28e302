"""Typed, poison-safe Kafka subscribers: one middleware judges, retries and dead-letters what cannot be
processed; the decoder validates the body against the event model the handler is typed with."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.message import StreamMessage
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import ValidationError

from shared.contract.cloudevents import CloudEventAttributes, MissingCloudEventHeader, read_attributes
from shared.contract.events.envelope import Event
from shared.messaging.batch_reads import one_read_per_batch
from shared.messaging.dead_letters import ConsumedRecord, DeadLetters
from shared.messaging.kafka_broker import consumer_options
from shared.messaging.state_guard import StateGuard, StateLost
from shared.observability import telemetry
from shared.observability.telemetry import TRACEPARENT
from shared.settings import ServiceSettings

E = TypeVar("E", bound=Event)
log = logging.getLogger(__name__)


class PoisonMessage(ValueError):
    """A message that no retry can fix: its reason goes to the dead-letter topic."""


def check_envelope(
    model: type[Event], body: bytes, headers: Mapping[str, str | bytes], max_bytes: int
) -> CloudEventAttributes:
    """What can be judged before the body is parsed: its size and its CloudEvents headers."""
    if len(body) > max_bytes:
        raise PoisonMessage(f"payload of {len(body)} bytes exceeds the limit of {max_bytes}")
    try:
        attributes = read_attributes(headers)
    except MissingCloudEventHeader as exc:
        raise PoisonMessage(str(exc)) from exc
    if attributes.type != model.EVENT_TYPE:
        raise PoisonMessage(f"ce_type {attributes.type!r} is not the expected {model.EVENT_TYPE!r}")
    return attributes


def decode_body(model: type[E], body: bytes) -> E:
    """The body as a `model`; raise PoisonMessage with a reason (one parse: pydantic's own JSON reader)."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        broken = next((err for err in exc.errors() if err["type"] == "json_invalid"), None)
        if broken is not None:
            detail = str(broken.get("ctx", {}).get("error", broken["msg"]))
            if "recursion" in detail:
                raise PoisonMessage("body is JSON nested too deeply to parse") from exc
            raise PoisonMessage(f"body is not valid JSON: {detail}") from exc
        raise PoisonMessage(f"body does not fit {model.__name__}: {_field_errors(exc)}") from exc


def decode_event(
    model: type[E], body: bytes, headers: Mapping[str, str | bytes], max_bytes: int
) -> tuple[E, CloudEventAttributes]:
    """Validate one consumed message against `model`; raise PoisonMessage with a reason."""
    attributes = check_envelope(model, body, headers, max_bytes)
    return decode_body(model, body), attributes


def _field_errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}" for err in exc.errors())


EventHandler = Callable[[E, CloudEventAttributes], Awaitable[None]]
DELIVERIES = "passerelle_deliveries"  # where ConsumeBatchSafely leaves a batch's judged, decoded records


@dataclass(frozen=True)
class Delivery:
    """One consumed record that passed the judging: its event, its CloudEvents attributes, the record."""

    event: Event
    attributes: CloudEventAttributes
    record: ConsumedRecord


@dataclass
class ConsumePolicy:
    """How one subscriber treats what it cannot process (shared by the middleware of its batches)."""

    model: type[Event]
    dead_letters: DeadLetters
    max_bytes: int
    retry_delay_s: float
    max_attempts: int = 6
    guard: StateGuard | None = None
    tracer: Tracer | None = None

    async def judge(self, record: ConsumedRecord) -> Delivery | None:
        """The record as a Delivery, or None once it has been dead-lettered with the reason."""
        headers = {name: value for name, value in record.headers or ()}
        try:
            attributes = check_envelope(self.model, record.value or b"", headers, self.max_bytes)
            event = decode_body(self.model, record.value or b"")
        except PoisonMessage as exc:
            await self.dead_letters.send(record, str(exc))
            return None
        return Delivery(event, attributes, record)


class ConsumeBatchSafely(BaseMiddleware):  # type: ignore[type-arg]
    """FastStream middleware of one batch subscriber. Each record is judged first: poison (too large, no
    CloudEvents headers, a body that does not fit the model) is dead-lettered with its reason, and the
    rest go to the handler together. With a guard, the batch runs only on intact state (the marker is
    read once before and once after the batch, not per record); a batch that overlapped a loss of state
    is redelivered whole after the rebuild, and idempotent handlers make the repeat harmless. The offsets
    are committed once the whole batch is handled (FastStream acknowledges it)."""

    def __init__(self, msg: Any, /, *, context: Any, policy: ConsumePolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        policy = self.policy
        records: tuple[ConsumedRecord, ...] = msg.raw_message
        judged = [await policy.judge(record) for record in records]
        deliveries = [delivery for delivery in judged if delivery is not None]
        if not deliveries:
            return None
        setattr(msg, DELIVERIES, deliveries)  # what the decoder hands the handler
        try:
            if policy.guard is None:
                result = await call_next(msg)
            else:
                async with policy.guard.passing():
                    result = await call_next(msg)
        except StateLost:
            first = records[0]
            log.warning(
                "state lost while handling a batch; redelivering it after the rebuild",
                extra={"topic": first.topic, "offset": first.offset, "records": len(records)},
            )
            assert policy.guard is not None
            await policy.guard.ensure()
            raise
        traces = sorted({trace for delivery in deliveries if (trace := _trace_id(delivery.record))})
        log.info(
            "events handled",
            extra={
                "topic": records[0].topic,
                "events": len(deliveries),
                "dead_lettered": len(records) - len(deliveries),
                "offsets": _offset_ranges(records),
                "event_ids": [delivery.attributes.id for delivery in deliveries],
                "trace_ids": traces,
            },
        )
        return result


def _offset_ranges(records: Sequence[ConsumedRecord]) -> dict[str, str]:
    """Per partition, the first and last offset of a batch ("0": "120-179")."""
    ranges: dict[int, tuple[int, int]] = {}
    for record in records:
        low, high = ranges.get(record.partition, (record.offset, record.offset))
        ranges[record.partition] = (min(low, record.offset), max(high, record.offset))
    return {str(partition): f"{low}-{high}" for partition, (low, high) in sorted(ranges.items())}


def _text_headers(record: ConsumedRecord) -> dict[str, str]:
    return {name: value.decode(errors="replace") for name, value in record.headers or ()}


def _trace_id(record: ConsumedRecord) -> str | None:
    """The trace a record belongs to, from its `traceparent` header (W3C: version-trace-span-flags)."""
    for name, value in record.headers or ():
        if name == TRACEPARENT:
            parts = value.decode(errors="replace").split("-")
            return parts[1] if len(parts) == 4 else None
    return None


async def handle_in_order(deliveries: Sequence[Delivery], handler: EventHandler[Any], policy: ConsumePolicy) -> None:
    """Handle a batch: the records of each key one after the other, in the order they were written (a
    key lives in one partition), and the keys side by side. What is ordered is what the contract orders
    (per key: a person's profile versions, a referral's events); the people of one partition need not
    wait for one another, and their Redis commands and publishes then share round trips. Records without
    a key keep their partition's order."""
    lanes: dict[tuple[str, int, bytes | None], list[Delivery]] = {}
    for delivery in deliveries:
        record = delivery.record
        lanes.setdefault((record.topic, record.partition, record.key), []).append(delivery)

    async def one_lane(queue: Sequence[Delivery]) -> None:
        for delivery in queue:
            await handle_one(delivery, handler, policy)

    with one_read_per_batch():  # slowly changing state (models, subscriptions…) is read once per batch
        if len(lanes) == 1:
            await one_lane(deliveries)
            return
        try:
            async with asyncio.TaskGroup() as group:
                for queue in lanes.values():
                    group.create_task(one_lane(queue))
        except BaseExceptionGroup as failed:  # only StateLost (or a cancellation) gets out of handle_one
            lost = failed.subgroup(lambda exc: isinstance(exc, StateLost))
            if lost is not None:
                raise StateLost(str(lost.exceptions[0])) from failed  # the middleware redelivers the batch
            raise


async def handle_one(delivery: Delivery, handler: EventHandler[Any], policy: ConsumePolicy) -> None:
    """One record: handled, or retried in place with exponential back-off, and dead-lettered after
    `max_attempts` failures so that one message a handler cannot process never stalls its key. A
    failure that came with a loss of state raises StateLost: the batch is redelivered after the rebuild."""
    record, attributes = delivery.record, delivery.attributes
    meter = policy.dead_letters.meter
    failures = 0
    while True:
        started = time.perf_counter()
        try:
            with _span(policy.tracer, record), telemetry.handling(attributes.id):
                await handler(delivery.event, attributes)
        except StateLost:
            raise
        except PoisonMessage as exc:  # refused by a projection (an event out of order)
            await policy.dead_letters.send(record, str(exc))
            return
        except Exception as exc:
            if policy.guard is not None and not await policy.guard.intact():
                raise StateLost("state vanished while handling a message") from exc
            failures += 1
            if meter is not None:
                meter.failed(record.topic, f"{type(exc).__name__}: {exc}")
            if failures >= policy.max_attempts:
                log.exception("handler failed %d times; dead-lettering the message", failures)
                await policy.dead_letters.send(record, f"handler failed {failures} times: {type(exc).__name__}: {exc}")
                return
            log.exception(
                "handler failed; the message will be handled again",
                extra={"event_id": attributes.id, "topic": record.topic, "offset": record.offset, "attempt": failures},
            )
            await asyncio.sleep(policy.retry_delay_s * 2 ** (failures - 1))
            continue
        if meter is not None:
            meter.consumed(record.topic, time.perf_counter() - started)
        return


@contextmanager
def _span(tracer: Tracer | None, record: ConsumedRecord) -> Iterator[None]:
    """A span per record, child of the span that published it (its `traceparent`): what is published
    while handling it stays in the trace of the request that caused it."""
    if tracer is None:
        yield
        return
    parent = _PROPAGATOR.extract(_text_headers(record))
    with tracer.start_as_current_span(f"{record.topic} process", context=parent, kind=SpanKind.CONSUMER):
        yield


_PROPAGATOR = TraceContextTextMapPropagator()


def batch_handler(model: type[E], handler: EventHandler[E], policy: ConsumePolicy) -> Callable[..., Awaitable[None]]:
    """The function FastStream calls with a batch: the middleware's judged, decoded records (what
    `subscribe`'s decoder hands over). Its one parameter is annotated with the event model, so that the
    AsyncAPI document shows the payload (`shared.messaging.asyncapi` shows one event per record, as on the wire);
    the broker applies no types (`make_broker`), so nothing is validated again or injected: an injected
    message was resolved in a worker thread, one thread hop per batch."""

    async def on_batch(deliveries: list[Delivery]) -> None:
        await handle_in_order(deliveries, handler, policy)

    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    on_batch.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("events", parameter, annotation=list[model])],  # type: ignore[valid-type]
        return_annotation=None,
    )
    on_batch.__annotations__ = {"events": list[model], "return": None}  # type: ignore[valid-type]
    on_batch.__name__ = handler.__name__
    on_batch.__qualname__ = handler.__name__
    on_batch.__doc__ = handler.__doc__
    return on_batch


@dataclass(frozen=True)
class Route:
    """One consumed topic of a service: its event model, the handler FastStream calls, its consumer group."""

    topic: str
    model: type[Event]
    handler: EventHandler[Any]
    group: str


def subscribe_all(
    broker: KafkaBroker,
    settings: ServiceSettings,
    routes: list[Route],
    dead_letters: DeadLetters,
    guard: StateGuard | None = None,
    tracer: Tracer | None = None,
) -> None:
    for route in routes:
        subscribe(
            broker, settings, route.topic, route.model, route.handler, route.group, dead_letters, guard, tracer=tracer
        )


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topic: str,
    model: type[E],
    handler: EventHandler[E],
    group: str,
    dead_letters: DeadLetters,
    guard: StateGuard | None = None,
    max_attempts: int = 6,
    tracer: Tracer | None = None,
) -> None:
    """Register `handler` for `topic` in consumer group `group`, typed with `model`: consumed in batches,
    at-least-once, poison-safe, and (with a guard) never acting on a wiped state. The broker must apply no
    types (`shared.messaging.kafka_broker.make_broker`): the handler takes the batch as the middleware judged
    it."""
    if broker.config.fd_config.use_fastdepends:
        raise ValueError(
            "subscribe() needs a broker made with apply_types=False (shared.messaging.kafka_broker.make_broker)"
        )
    policy = ConsumePolicy(
        model, dead_letters, settings.max_event_bytes, settings.transient_retry_delay_s, max_attempts, guard, tracer
    )
    router = KafkaRouter(middlewares=[functools.partial(ConsumeBatchSafely, policy=policy)])

    async def decode(msg: StreamMessage[Any]) -> list[Delivery]:
        return list(getattr(msg, DELIVERIES))

    options = consumer_options(settings, group) | {"decoder": decode}
    router.subscriber(topic, **options)(batch_handler(model, handler, policy))
    broker.include_router(router)
