"""The last hour's series, from snapshots: counters that restart at zero, gaps, and their charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.referrals.console.charts import line_chart
from shared.contract.events.ops import Latency, MetricsSnapshot
from shared.ops.history import MINUTES, LagSampler, signings_per_minute, worst_p99_per_minute

UNTIL = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def _snap(minutes_ago: float, signings: int, instance: str = "a", p99: float | None = None) -> MetricsSnapshot:
    latency = {"beneficiary.profile.v1": Latency(p50_ms=1, p95_ms=2, p99_ms=p99, count=1)} if p99 else {}
    return MetricsSnapshot(
        service="referrals",
        instance=instance,
        at=UNTIL - timedelta(minutes=minutes_ago),
        messages_out={"referrals.signing.v1": signings},
        handler_latency=latency,
    )


def test_signings_per_minute_add_up_across_instances_and_restarts() -> None:
    snapshots = [_snap(3.5, 10), _snap(2.5, 25), _snap(1.5, 4), _snap(2.5, 7, instance="b"), _snap(90, 1000)]
    per_minute = signings_per_minute(snapshots, UNTIL)
    assert len(per_minute) == MINUTES
    assert per_minute[-4:] == [10.0, 15.0 + 7.0, 4.0, 0.0]  # instance a restarted: its 4 are new signings
    assert sum(v or 0 for v in per_minute) == 10 + 15 + 7 + 4  # the one 90 minutes ago is out of the hour


def test_the_worst_p99_of_each_minute_and_gaps_where_nothing_was_reported() -> None:
    worst = worst_p99_per_minute([_snap(0.5, 0, p99=12.0), _snap(0.2, 0, "b", p99=40.0)], UNTIL)
    assert worst[-1] == 40.0 and worst[-2] is None


def test_lag_samples_become_a_series_per_group_and_the_chart_says_it_in_words() -> None:
    sampler = LagSampler("unused:9092", dict, interval_s=30)
    sampler.record(UNTIL - timedelta(minutes=5), {"referrals.projection": 3, "matching.profiles": None})
    sampler.record(UNTIL - timedelta(seconds=10), {"referrals.projection": 0})
    series = sampler.series(UNTIL)
    assert series["referrals.projection"].known == [3.0, 0.0]
    assert series["matching.profiles"].known == []
    chart = str(line_chart(series["referrals.projection"]))
    assert 'aria-label="referrals.projection, dernière heure : maximum 3 messages, dernière valeur 0 messages"' in chart
    assert "aucune mesure" in str(line_chart(series["matching.profiles"]))
