"""What every service's `create_app` starts from, written once: the meter, the tracer, the broker and Redis;
the publishers of its topology; the consumers (poison-safe, behind the state guard, dead-lettering what they
refuse); the heartbeat; periodic commands; and the order of start and stop. Each service's main.py adds
only its own: its adapters, its HTTP routes, its jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from redis.asyncio import Redis

from shared.contract.topics import FIXED_TOPICS
from shared.messaging.command_bus import Command, CommandBus
from shared.messaging.consuming import Route, subscribe_all
from shared.messaging.dead_letters import DeadLetters
from shared.messaging.kafka_admin import ensure_topics
from shared.messaging.kafka_broker import make_broker
from shared.messaging.projections import KafkaEventLog
from shared.messaging.state_guard import StateGuard
from shared.messaging.topology import Outlet, Topology, broker_outlet
from shared.observability import telemetry
from shared.observability.metering import Meter
from shared.ops.reporter import OpsReporter
from shared.redis_factory import make_redis
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
Forever = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    topology: Topology
    meter: Meter
    traces: TracerProvider
    broker: KafkaBroker
    redis: Redis  # the state, rebuilt from the log
    cache: Redis  # what may be lost: sessions, throttles, idempotency records
    outlet: Outlet
    event_log: KafkaEventLog
    reporter: OpsReporter
    dead_letters: DeadLetters
    guard: StateGuard | None = None
    _forever: list[Forever] = field(default_factory=list)
    _closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def start(cls, settings: ServiceSettings, topology: Topology) -> ServiceRuntime:
        """Build the clients (nothing connects until `open`)."""
        service = topology.service
        meter = Meter(service, settings.instance_id)
        traces = telemetry.tracer_provider(service, settings.instance_id)
        broker = make_broker(settings, service, telemetry.broker_middlewares(service, traces, meter.registry))
        # The heartbeat announces the service's consumer groups: the operators' lag is derived from it.
        reporter = OpsReporter(broker, meter, settings.heartbeat_interval_s, consumes=topology.groups())
        return cls(
            settings, topology, meter, traces, broker, make_redis(settings.redis_url),
            make_redis(settings.cache_url()), broker_outlet(broker, topology, meter),
            KafkaEventLog(settings.kafka_bootstrap_servers), reporter, DeadLetters(broker, service, meter),
        )  # fmt: skip

    def consume(self, routes: list[Route], rebuild: Callable[[], Awaitable[dict[str, int]]]) -> StateGuard:
        """Subscribe the topology's routes, behind the guard that rebuilds a lost state from the log first."""
        service = self.topology.service
        self.guard = StateGuard(self.redis, service, rebuild, check_interval_s=self.settings.state_check_interval_s)
        tracer = self.traces.get_tracer(service)
        subscribe_all(self.broker, self.settings, routes, self.dead_letters, self.guard, tracer)
        return self.guard

    def every(self, interval_s: float, bus: CommandBus, *commands: Callable[[], Command[Any]]) -> None:
        """Send these commands through the bus every `interval_s`, once the state is intact (the rebuild
        comes first); a failure is logged and the next round runs."""

        async def forever() -> None:
            while True:
                await asyncio.sleep(interval_s)
                doing = "the state check"
                try:
                    if self.guard is not None and not await self.guard.intact():
                        continue  # the rebuild comes first
                    for make in commands:
                        command = make()
                        doing = type(command).__name__
                        await bus.handle(command)
                except Exception:
                    log.exception("%s failed; it will run again in %.1f s", doing, interval_s)

        self._forever.append(forever)

    def alongside(self, *jobs: Forever) -> None:
        """Other jobs that run for as long as the service does (each handles its own errors)."""
        self._forever.extend(jobs)

    def on_close(self, close: Callable[[], Awaitable[object]]) -> None:
        """Something of the service's own to close when it stops (before Redis and the tracer)."""
        self._closers.append(close)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """An HTTP service's lifespan: prepared (topics, state rebuilt), broker started, background jobs
        running; then everything stopped in the reverse order."""
        await self.prepare()
        await self.broker.start()
        self.run_background()
        try:
            yield
        finally:
            self.stop_background()
            await self.broker.stop()
            await self.close()

    async def prepare(self) -> None:
        """Before anything is consumed or served: the topics, and a fresh or emptied Redis rebuilt."""
        if self.settings.kafka_manage_topics:
            await ensure_topics(
                self.settings.kafka_bootstrap_servers, FIXED_TOPICS, self.settings.kafka_replication_factor
            )
        if self.guard is not None:
            await self.guard.ensure()

    def run_background(self) -> None:
        jobs = [*self._forever, self.reporter.run_forever]
        if self.guard is not None:
            jobs.append(self.guard.watch_forever)
        self._tasks = [asyncio.create_task(job()) for job in jobs]

    def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def close(self) -> None:
        for close in self._closers:
            await close()
        await self.redis.aclose()
        await self.cache.aclose()
        self.traces.shutdown()  # exports the spans still buffered
