"""The referrals service's clock: real time, shiftable forward only where tests enable it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ServiceClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ValueError("the clock only moves forward")
        self._offset += by
        return self()
