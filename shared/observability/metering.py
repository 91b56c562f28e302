"""What a service counts for `ops.metrics.v1`: messages in and out per topic, handler latency, errors,
dead letters. Prometheus at /metrics is fed by FastStream's Prometheus middleware in `registry`
(`shared.observability.telemetry`), which counts the same messages by topic."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest

from shared.contract.events.ops import Latency, MetricsSnapshot

LATENCY_WINDOW = 2000


class Meter:
    def __init__(self, service: str, instance: str) -> None:
        self.service = service
        self.instance = instance
        self.registry = CollectorRegistry()
        self._counts_in: dict[str, int] = defaultdict(int)
        self._counts_out: dict[str, int] = defaultdict(int)
        self._latencies: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=LATENCY_WINDOW))
        self._error_count = 0
        self._dead_count = 0
        self._last_errors: deque[str] = deque(maxlen=5)

    def consumed(self, topic: str, seconds: float) -> None:
        self._counts_in[topic] += 1
        self._latencies[topic].append(seconds)

    def published(self, topic: str) -> None:
        self._counts_out[topic] += 1

    def failed(self, topic: str, error: str) -> None:
        self._error_count += 1
        self._last_errors.append(f"{topic}: {error}"[:300])

    def dead_lettered(self, topic: str, reason: str) -> None:
        self._dead_count += 1
        self._last_errors.append(f"dead letter from {topic}: {reason}"[:300])

    def snapshot(self, at: datetime) -> MetricsSnapshot:
        latency = {}
        for topic, values in self._latencies.items():
            ms = np.array(values) * 1000
            latency[topic] = Latency(
                p50_ms=float(np.percentile(ms, 50)), p95_ms=float(np.percentile(ms, 95)),
                p99_ms=float(np.percentile(ms, 99)), count=len(ms),
            )  # fmt: skip
        return MetricsSnapshot(
            service=self.service, instance=self.instance, at=at, messages_in=dict(self._counts_in),
            messages_out=dict(self._counts_out), handler_latency=latency, errors=self._error_count,
            dead_letters=self._dead_count, last_errors=list(self._last_errors),
        )  # fmt: skip

    def prometheus(self) -> bytes:
        return generate_latest(self.registry)
