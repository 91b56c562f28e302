"""A service's topology: what it publishes, what it consumes (with each topic's event model, consumer
group and reaction), and what it reads back only to rebuild its state. It is written once per service
(`services/<service>/topology.py`); the consumer routes, the publishers, the Kubernetes ACLs and KEDA
triggers, the AsyncAPI documents, the unit harness and docs/architecture.md are derived from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from faststream.kafka import KafkaBroker

from shared.contract.events.envelope import Event
from shared.contract.topics import OPS_DLQ, OPS_HEARTBEAT, OPS_METRICS, TopicSpec
from shared.messaging.consuming import Route
from shared.messaging.projections import ProjectionTable, Publisher, Reaction, consumes
from shared.messaging.publishing import EventPublisher
from shared.observability.metering import Meter

# Every instance of every service says it is alive and how it is doing, and dead-letters what it refuses.
OPS_OUT: tuple[TopicSpec, ...] = (OPS_HEARTBEAT, OPS_METRICS, OPS_DLQ)


@dataclass(frozen=True)
class Consumed:
    """A topic the service subscribes to: its events are projected, then `reaction` (the name of a function
    in the service's event-handler table) decides what they call for; without one they are projected only."""

    topic: TopicSpec
    model: type[Event]
    group: str
    reaction: str | None = None


@dataclass(frozen=True)
class Published:
    """A topic the service writes: the event model and what it means (the AsyncAPI description). A
    `pattern` topic such as `partner.{partner_id}.candidates.v1` stands for one topic per partner."""

    topic: TopicSpec
    model: type[Event]
    description: str
    pattern: bool = False


@dataclass(frozen=True)
class Topology:
    service: str
    publishes: tuple[Published, ...]
    consumes: tuple[Consumed, ...]
    # Topics read back only when the state is rebuilt from the log (the service's own, mostly).
    replays: tuple[TopicSpec, ...] = ()
    # Topics read to show the operators' picture (the heartbeats, metrics and dead letters).
    watches: tuple[TopicSpec, ...] = ()
    serves_http: bool = False

    @property
    def source(self) -> str:
        """The CloudEvents `source` of what the service publishes."""
        return f"/passerelle/{self.service}"

    def groups(self) -> dict[str, str]:
        """Consumer group → topic it reads."""
        return {c.group: c.topic.name for c in self.consumes}

    def reads(self) -> tuple[TopicSpec, ...]:
        """What the service may read: what it consumes, watches and replays, each once."""
        return _unique([c.topic for c in self.consumes] + list(self.watches) + list(self.replays))

    def writes(self) -> tuple[TopicSpec, ...]:
        """What the service may write: what it publishes (patterns apart), then the operators' topics."""
        return _unique([p.topic for p in self.publishes if not p.pattern] + list(OPS_OUT))

    def published(self, topic: TopicSpec) -> Published:
        """The entry of a topic the service publishes (a KeyError names a topic the topology lacks)."""
        for entry in self.publishes:
            if entry.topic.name == topic.name:
                return entry
        raise KeyError(f"{self.service} publishes no {topic.name}: add it to services/{self.service}/topology.py")

    def routes(
        self, table: ProjectionTable, clock: Callable[[], datetime], reactions: Mapping[str, Reaction]
    ) -> list[Route]:
        """Each consumed topic's route: its projections, then its reaction, looked up by name."""
        named = {c.reaction for c in self.consumes if c.reaction is not None}
        if missing := named - set(reactions):
            raise KeyError(f"{self.service}: no handler for {sorted(missing)}")
        if unused := set(reactions) - named:
            raise KeyError(f"{self.service}: handlers {sorted(unused)} are in no consumed topic of the topology")
        return [
            consumes(table, c.topic, c.model, c.group, clock, reactions[c.reaction] if c.reaction else None)
            for c in self.consumes
        ]


def _unique(topics: Iterable[TopicSpec]) -> tuple[TopicSpec, ...]:
    seen: dict[str, TopicSpec] = {}
    for topic in topics:
        seen.setdefault(topic.name, topic)
    return tuple(seen.values())


# Where a service's published events go: a publisher per topology entry (the broker's, or the tests' log).
Outlet = Callable[[Published], Publisher]


def broker_outlet(broker: KafkaBroker, topology: Topology, meter: Meter | None = None) -> Outlet:
    def publisher(entry: Published) -> Publisher:
        return EventPublisher(broker, entry.topic, entry.model, topology.source, entry.description, meter=meter)

    return publisher
