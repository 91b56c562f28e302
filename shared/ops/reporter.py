"""Every few seconds, each service instance publishes its heartbeat and its metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker

from shared.contract.events.ops import Heartbeat, MetricsSnapshot
from shared.contract.topics import OPS_HEARTBEAT, OPS_METRICS
from shared.messaging.publishing import EventPublisher
from shared.observability.metering import Meter

log = logging.getLogger(__name__)
VERSION = "0.1.0"


class OpsReporter:
    def __init__(
        self,
        broker: KafkaBroker,
        meter: Meter,
        interval_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        consumes: Mapping[str, str] | None = None,
    ) -> None:
        """`consumes`: the service's consumer groups and their topics, announced with each heartbeat so that
        the operators' picture knows whose lag to watch without knowing the services."""
        source = f"/passerelle/{meter.service}"
        self._heartbeats = EventPublisher(broker, OPS_HEARTBEAT, Heartbeat, source, "This instance is alive")
        self._metrics = EventPublisher(broker, OPS_METRICS, MetricsSnapshot, source, "This instance's counters")
        self._meter = meter
        self._interval = interval_s
        self._clock = clock
        self._started = clock()
        self._consumes = dict(consumes or {})

    async def report(self) -> None:
        now = self._clock()
        key = f"{self._meter.service}/{self._meter.instance}"
        heartbeat = Heartbeat(
            service=self._meter.service, instance=self._meter.instance, version=VERSION, started_at=self._started,
            uptime_s=(now - self._started).total_seconds(), interval_s=self._interval, at=now, consumes=self._consumes,
        )  # fmt: skip
        await self._heartbeats.publish(heartbeat, key=key)
        await self._metrics.publish(self._meter.snapshot(now), key=key)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.report()
            except Exception:
                log.exception("could not publish heartbeat or metrics")
            await asyncio.sleep(self._interval)
