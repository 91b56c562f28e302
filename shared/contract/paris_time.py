"""Time as France counts it: days and wall-clock hours in Paris (legal delays, decision windows, dates on
pages), whatever the servers' zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris_date(moment: datetime) -> date:
    """The calendar day in France (metropolitan time) at `moment`."""
    return moment.astimezone(PARIS).date()


def paris_today() -> date:
    return paris_date(datetime.now(UTC))
