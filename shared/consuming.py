"""Typed, poison-safe Kafka subscribers: one middleware judges, retries and dead-letters what cannot be
processed; the decoder validates the body against the event model the handler is typed with."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError

from shared import telemetry
from shared.cloudevents import CloudEventAttributes, MissingCloudEventHeader, read_attributes
from shared.dead_letters import ConsumedRecord, DeadLetters
from shared.events.envelope import Event
from shared.kafka_broker import consumer_options
from shared.settings import ServiceSettings
from shared.state_guard import StateGuard, StateLost
from shared.topics import FIXED_TOPICS

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
    """The body as a `model`; raise PoisonMessage with a reason."""
    try:
        json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise PoisonMessage("body is JSON nested too deeply to parse") from exc
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
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
ATTRIBUTES = "passerelle_cloud_event"  # where ConsumeSafely leaves a message's parsed CloudEvents attributes


@dataclass
class ConsumePolicy:
    """How one subscriber treats what it cannot process (shared by the middleware of its messages)."""

    model: type[Event]
    dead_letters: DeadLetters
    max_bytes: int
    retry_delay_s: float
    max_attempts: int = 6
    guard: StateGuard | None = None
    attempts: dict[tuple[str, int, int], int] = field(default_factory=dict)


class ConsumeSafely(BaseMiddleware):  # type: ignore[type-arg]
    """FastStream middleware of one subscriber: poison is dead-lettered and acknowledged; other failures
    are retried with exponential back-off, and after `max_attempts` failures of the same message it is
    dead-lettered too, so that one message a handler cannot process never stalls its partition. With a
    guard, the handler runs only on intact state, and a message that overlapped a loss of state is
    redelivered after the rebuild without counting as a failure."""

    def __init__(self, msg: Any, /, *, context: Any, policy: ConsumePolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        policy = self.policy
        record: ConsumedRecord = msg.raw_message
        headers = {name: value for name, value in record.headers or ()}
        try:
            attributes = check_envelope(policy.model, record.value or b"", headers, policy.max_bytes)
        except PoisonMessage as exc:
            await policy.dead_letters.send(record, str(exc))
            return None
        setattr(msg, ATTRIBUTES, attributes)  # read once: the handler takes them from the message
        where = (record.topic, record.partition, record.offset)
        meter = policy.dead_letters.meter
        started = time.perf_counter()
        try:
            with telemetry.handling(attributes.id):  # the span is FastStream's telemetry middleware's
                if policy.guard is None:
                    result = await call_next(msg)  # decodes the body (PoisonMessage) and calls the handler
                else:
                    async with policy.guard.passing():
                        result = await call_next(msg)
        except StateLost:
            log.warning("state lost while handling; redelivering after the rebuild", extra={"offset": record.offset})
            assert policy.guard is not None
            await policy.guard.ensure()
            raise
        except PoisonMessage as exc:
            await policy.dead_letters.send(record, str(exc))
            return None
        except Exception as exc:
            if meter is not None:
                meter.failed(record.topic, f"{type(exc).__name__}: {exc}")
            failures = policy.attempts.get(where, 0) + 1
            if failures >= policy.max_attempts:
                policy.attempts.pop(where, None)
                log.exception("handler failed %d times; dead-lettering the message", failures)
                await policy.dead_letters.send(record, f"handler failed {failures} times: {type(exc).__name__}: {exc}")
                return None
            policy.attempts[where] = failures
            log.exception(
                "handler failed; the message will be redelivered",
                extra={"event_id": attributes.id, "topic": record.topic, "offset": record.offset, "attempt": failures},
            )
            await asyncio.sleep(policy.retry_delay_s * 2 ** (failures - 1))
            raise
        policy.attempts.pop(where, None)
        log.info(
            "event handled",
            extra={"event_type": attributes.type, "topic": record.topic, "offset": record.offset,
                   "event_id": attributes.id, "trace_id": telemetry.current_trace_id()},
        )  # fmt: skip
        if meter is not None:
            meter.consumed(record.topic, time.perf_counter() - started)
        return result


def typed_handler(model: type[E], handler: EventHandler[E]) -> Callable[..., Awaitable[None]]:
    """The function FastStream calls: its signature names the event model, so that the AsyncAPI document
    shows the payload; the body was validated by the subscriber's decoder."""

    async def on_event(event: Any, msg: Any) -> None:
        attributes = getattr(msg, ATTRIBUTES, None)
        if attributes is None:  # called without the middleware (FastStream's test broker)
            attributes = read_attributes({name: value for name, value in msg.raw_message.headers or ()})
        await handler(event, attributes)

    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    on_event.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("event", parameter, annotation=model),
            inspect.Parameter("msg", parameter, annotation=KafkaMessage),
        ],
        return_annotation=None,
    )
    on_event.__annotations__ = {"event": model, "msg": KafkaMessage, "return": None}
    on_event.__name__ = handler.__name__
    on_event.__qualname__ = handler.__name__
    on_event.__doc__ = handler.__doc__
    return on_event


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
) -> None:
    for route in routes:
        subscribe(broker, settings, route.topic, route.model, route.handler, route.group, dead_letters, guard)


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
) -> None:
    """Register `handler` for `topic` in consumer group `group`, typed with `model`: at-least-once,
    poison-safe, and (with a guard) never acting on a wiped state."""
    spec = next((t for t in FIXED_TOPICS if t.name == topic), None)
    policy = ConsumePolicy(
        model, dead_letters, settings.max_event_bytes, settings.transient_retry_delay_s, max_attempts, guard
    )
    router = KafkaRouter(middlewares=[functools.partial(ConsumeSafely, policy=policy)])

    async def decode(msg: StreamMessage[Any]) -> E:
        return decode_body(model, msg.body)

    options = consumer_options(settings, group, spec.partitions if spec else 1) | {"decoder": decode}
    router.subscriber(topic, **options)(typed_handler(model, handler))
    broker.include_router(router)
