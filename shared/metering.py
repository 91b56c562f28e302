"""What a service counts: messages in and out per topic, handler latency, errors, dead letters —
for `ops.metrics.v1` and for Prometheus at /metrics."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from shared.events.ops import Latency, MetricsSnapshot

LATENCY_WINDOW = 2000


class Meter:
    def __init__(self, service: str, instance: str) -> None:
        self.service = service
        self.instance = instance
        self.registry = CollectorRegistry()
        self._in = Counter("passerelle_messages_in", "Messages consumed", ["topic"], registry=self.registry)
        self._out = Counter("passerelle_messages_out", "Messages published", ["topic"], registry=self.registry)
        self._errors = Counter("passerelle_handler_errors", "Handler failures", ["topic"], registry=self.registry)
        self._dead = Counter("passerelle_dead_letters", "Messages dead-lettered", ["topic"], registry=self.registry)
        self._latency = Histogram(
            "passerelle_handler_seconds", "Handler latency", ["topic"], registry=self.registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )  # fmt: skip
        self._counts_in: dict[str, int] = defaultdict(int)
        self._counts_out: dict[str, int] = defaultdict(int)
        self._latencies: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=LATENCY_WINDOW))
        self._error_count = 0
        self._dead_count = 0
        self._last_errors: deque[str] = deque(maxlen=5)

    def consumed(self, topic: str, seconds: float) -> None:
        self._in.labels(topic).inc()
        self._latency.labels(topic).observe(seconds)
        self._counts_in[topic] += 1
        self._latencies[topic].append(seconds)

    def published(self, topic: str) -> None:
        self._out.labels(topic).inc()
        self._counts_out[topic] += 1

    def failed(self, topic: str, error: str) -> None:
        self._errors.labels(topic).inc()
        self._error_count += 1
        self._last_errors.append(f"{topic}: {error}"[:300])

    def dead_lettered(self, topic: str, reason: str) -> None:
        self._dead.labels(topic).inc()
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
