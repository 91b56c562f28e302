"""Publishers declared once per topic (they document AsyncAPI) that add the CloudEvents headers."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from shared.contract.cloudevents import CloudEventAttributes, new_attributes
from shared.contract.events.envelope import Event
from shared.contract.topics import TopicSpec
from shared.observability.metering import Meter


class EventPublisher:
    """Publishes one event type to one topic, as service `source`."""

    def __init__(
        self,
        broker: KafkaBroker,
        spec: TopicSpec,
        model: type[Event],
        source: str,
        description: str,
        meter: Meter | None = None,
    ) -> None:
        self._meter = meter
        self._publisher = broker.publisher(spec.name, schema=model, description=description)
        self._topic = spec.name
        self._model = model
        self._source = source

    @property
    def topic(self) -> str:
        return self._topic

    async def publish(
        self, event: Event, key: str, *, event_id: str | None = None, topic: str | None = None
    ) -> CloudEventAttributes:
        """Send `event` keyed by `key`; a fixed `event_id` lets consumers recognise a re-send."""
        if not isinstance(event, self._model):
            raise TypeError(f"{self._topic} carries {self._model.__name__}, not {type(event).__name__}")
        attributes = new_attributes(event.EVENT_TYPE, self._source, event_id=event_id, subject=key)
        await self._publisher.publish(  # the broker's telemetry middleware adds `traceparent`
            event.model_dump_json().encode(),
            topic=topic or "",
            key=key.encode(),
            headers=attributes.as_headers(),
        )
        if self._meter is not None:
            self._meter.published(topic or self._topic)
        return attributes

    async def tombstone(self, key: str, *, topic: str | None = None) -> None:
        """A null value under `key`: what it named is to be deleted (and compacted away)."""
        await self._publisher.publish(None, topic=topic or "", key=key.encode())
        if self._meter is not None:
            self._meter.published(topic or self._topic)
