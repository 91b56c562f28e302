"""The last hour, minute by minute, for the operators' charts: signings per minute and the handlers' p99
(from the services' snapshots on `ops.metrics.v1`, as the ops picture keeps them), dead letters per minute
(`ops.dlq.v1`), and consumer lag per group (sampled by the service that serves the page: lag has no topic
of its own)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.contract.events.ops import MetricsSnapshot
from shared.contract.topics import REFERRALS_SIGNING
from shared.ops.picture import OpsPicture
from shared.ops.state import consumer_lag

MINUTES = 60
log = logging.getLogger(__name__)


@dataclass
class Series:
    label: str
    unit: str
    values: list[float | None]  # one per minute, oldest first; None where nothing was reported

    @property
    def known(self) -> list[float]:
        return [v for v in self.values if v is not None]


@dataclass
class OpsHistory:
    until: datetime
    signings: Series
    p99: Series
    dead_letters: Series
    lag: dict[str, Series] = field(default_factory=dict)


def _minute(at: datetime, until: datetime) -> int | None:
    """Index of `at` among the last MINUTES minutes ending at `until` (None when outside)."""
    age = (until - at).total_seconds()
    if age < 0 or age >= MINUTES * 60:
        return None
    return MINUTES - 1 - int(age // 60)


def signings_per_minute(snapshots: list[MetricsSnapshot], until: datetime) -> list[float | None]:
    """Signings published per minute, from the referrals instances' counters (which restart at zero)."""
    per_minute: list[float | None] = [0.0] * MINUTES
    last: dict[str, int] = {}
    for snap in sorted(snapshots, key=lambda s: s.at):
        if snap.service != "referrals":
            continue
        count = snap.messages_out.get(REFERRALS_SIGNING.name, 0)
        before = last.get(snap.instance, 0)
        delta = count - before if count >= before else count  # a restarted instance counts from zero
        last[snap.instance] = count
        index = _minute(snap.at, until)
        if index is not None:
            per_minute[index] = (per_minute[index] or 0.0) + delta
    return per_minute


def worst_p99_per_minute(snapshots: list[MetricsSnapshot], until: datetime) -> list[float | None]:
    worst: list[float | None] = [None] * MINUTES
    for snap in snapshots:
        index = _minute(snap.at, until)
        if index is None or not snap.handler_latency:
            continue
        p99 = max(lat.p99_ms for lat in snap.handler_latency.values())
        worst[index] = max(worst[index] or 0.0, p99)
    return worst


def last_hour(picture: OpsPicture, lag: LagSampler | None = None, now: datetime | None = None) -> OpsHistory:
    until = now or datetime.now(UTC)
    recent = [s for s in picture.recent_metrics if s.at >= until - timedelta(minutes=MINUTES + 5)]
    dead: list[float | None] = [0.0] * MINUTES
    for at in picture.dead_times:
        index = _minute(at, until)
        if index is not None:
            dead[index] = (dead[index] or 0.0) + 1
    return OpsHistory(
        until=until,
        signings=Series("Signatures de CIR par minute", "/min", signings_per_minute(recent, until)),
        p99=Series("Temps de traitement p99 (le pire des services)", "ms", worst_p99_per_minute(recent, until)),
        dead_letters=Series("Lettres mortes par minute", "/min", dead),
        lag=lag.series(until) if lag else {},
    )


class LagSampler:
    """Consumer lag per group, sampled every `interval_s` and kept for an hour (in memory)."""

    def __init__(
        self,
        bootstrap: str,
        groups: Callable[[], Mapping[str, str]],
        interval_s: float = 30.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`groups()`: the consumer groups to sample and their topics (those the heartbeats announced)."""
        self._bootstrap = bootstrap
        self._groups = groups
        self._interval_s = interval_s
        self._clock = clock or (lambda: datetime.now(UTC))
        self._samples: deque[tuple[datetime, dict[str, int | None]]] = deque(maxlen=int(3600 / interval_s) + 2)

    def record(self, at: datetime, lag: dict[str, int | None]) -> None:
        self._samples.append((at, lag))

    async def latest(self) -> dict[str, int | None]:
        """The last sample (taken now when there is none yet)."""
        if not self._samples:
            self.record(self._clock(), await consumer_lag(self._bootstrap, self._groups()))
        return self._samples[-1][1]

    async def run_forever(self) -> None:
        while True:
            try:
                self.record(self._clock(), await consumer_lag(self._bootstrap, self._groups()))
            except Exception:
                log.exception("consumer lag could not be sampled; next try in %.0f s", self._interval_s)
            await asyncio.sleep(self._interval_s)

    def series(self, until: datetime) -> dict[str, Series]:
        groups = sorted({g for _, lag in self._samples for g in lag})
        out: dict[str, Series] = {}
        for group in groups:
            values: list[float | None] = [None] * MINUTES
            for at, lag in self._samples:
                index = _minute(at, until)
                value = lag.get(group)
                if index is not None and value is not None:
                    values[index] = max(values[index] or 0.0, float(value))
            out[group] = Series(group, "messages", values)
        return out
