"""Typed, poison-safe Kafka handlers: decode and validate here, dead-letter what cannot be processed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from shared import tracing
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


def decode_event(
    model: type[E], body: bytes, headers: Mapping[str, str | bytes], max_bytes: int
) -> tuple[E, CloudEventAttributes]:
    """Validate one consumed message against `model`; raise PoisonMessage with a reason."""
    if len(body) > max_bytes:
        raise PoisonMessage(f"payload of {len(body)} bytes exceeds the limit of {max_bytes}")
    try:
        attributes = read_attributes(headers)
    except MissingCloudEventHeader as exc:
        raise PoisonMessage(str(exc)) from exc
    if attributes.type != model.EVENT_TYPE:
        raise PoisonMessage(f"ce_type {attributes.type!r} is not the expected {model.EVENT_TYPE!r}")
    try:
        json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise PoisonMessage("body is JSON nested too deeply to parse") from exc
    try:
        event = model.model_validate_json(body)
    except ValidationError as exc:
        raise PoisonMessage(f"body does not fit {model.__name__}: {_field_errors(exc)}") from exc
    return event, attributes


def _field_errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}" for err in exc.errors())


EventHandler = Callable[[E, CloudEventAttributes], Awaitable[None]]


def poison_safe(
    model: type[E],
    handler: EventHandler[E],
    dead_letters: DeadLetters,
    *,
    max_bytes: int,
    retry_delay_s: float,
    max_attempts: int = 6,
    guard: StateGuard | None = None,
) -> Callable[[KafkaMessage], Awaitable[None]]:
    """Wrap `handler` so that poison is dead-lettered and acknowledged, and other failures retried with
    exponential back-off; after `max_attempts` failures of the same message it is dead-lettered too, so
    that one message a handler cannot process never stalls its partition. With a `guard`, the handler
    runs only on intact state, and a message that overlapped a loss of state is redelivered after the
    rebuild without counting as a failure."""
    attempts: dict[tuple[str, int, int], int] = {}

    async def on_message(msg: KafkaMessage) -> None:
        record: ConsumedRecord = msg.raw_message  # type: ignore[assignment]
        headers = {name: value for name, value in record.headers or ()}
        try:
            event, attributes = decode_event(model, record.value or b"", headers, max_bytes)
        except PoisonMessage as exc:
            await dead_letters.send(record, str(exc))
            return
        where = (record.topic, record.partition, record.offset)
        meter = dead_letters.meter
        started = time.perf_counter()
        incoming = headers.get(tracing.HEADER)
        traceparent = incoming.decode(errors="replace") if isinstance(incoming, bytes) else incoming
        try:
            with tracing.traced(traceparent, attributes.id):
                if guard is None:
                    await handler(event, attributes)
                else:
                    async with guard.passing():
                        await handler(event, attributes)
        except StateLost:
            log.warning("state lost while handling; redelivering after the rebuild", extra={"offset": record.offset})
            assert guard is not None
            await guard.ensure()
            raise
        except PoisonMessage as exc:
            await dead_letters.send(record, str(exc))
        except Exception as exc:
            if meter is not None:
                meter.failed(record.topic, f"{type(exc).__name__}: {exc}")
            failures = attempts.get(where, 0) + 1
            if failures >= max_attempts:
                attempts.pop(where, None)
                log.exception("handler failed %d times; dead-lettering the message", failures)
                await dead_letters.send(record, f"handler failed {failures} times: {type(exc).__name__}: {exc}")
                return
            attempts[where] = failures
            log.exception(
                "handler failed; the message will be redelivered",
                extra={"event_id": attributes.id, "topic": record.topic, "offset": record.offset, "attempt": failures},
            )
            await asyncio.sleep(retry_delay_s * 2 ** (failures - 1))
            raise
        else:
            attempts.pop(where, None)
            trace = tracing.trace_id(traceparent) if traceparent and tracing.valid(traceparent) else None
            log.info(
                "event handled",
                extra={"event_type": attributes.type, "topic": record.topic, "offset": record.offset,
                       "event_id": attributes.id, "trace_id": trace},
            )  # fmt: skip
            if meter is not None:
                meter.consumed(record.topic, time.perf_counter() - started)

    on_message.__name__ = handler.__name__
    on_message.__doc__ = handler.__doc__
    return on_message


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topic: str,
    model: type[Event],
    handler: EventHandler[Any],
    group: str,
    dead_letters: DeadLetters,
    guard: StateGuard | None = None,
) -> None:
    """Register `handler` for `topic` in consumer group `group`: at-least-once, poison-safe, and (with a
    guard) never acting on a wiped state."""
    spec = next((t for t in FIXED_TOPICS if t.name == topic), None)
    broker.subscriber(topic, **consumer_options(settings, group, spec.partitions if spec else 1))(
        poison_safe(
            model,
            handler,
            dead_letters,
            max_bytes=settings.max_event_bytes,
            retry_delay_s=settings.transient_retry_delay_s,
            guard=guard,
        )
    )
