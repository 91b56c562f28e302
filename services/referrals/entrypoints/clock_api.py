"""`PUT /v1/ops/clock`: move the service's clock forward, in test environments only."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI, HTTPException, status

from services.referrals.adapters.clock import ServiceClock
from services.referrals.service_layer.commands import CloseDecisionWindows, SweepDeadlines, SweepRetention
from shared.http.auth import AdminDep
from shared.messaging.command_bus import CommandBus


def add_test_clock(app: FastAPI, clock: ServiceClock, bus: CommandBus) -> None:
    @app.put("/v1/ops/clock", tags=["ops"])
    async def advance_clock(admin: AdminDep, days: float = 0, hours: float = 0) -> dict[str, str]:
        """Move the service's clock forward (test environments only); decision windows, deadlines and
        retention are checked at once."""
        try:
            moment = clock.advance(timedelta(days=days, hours=hours))
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        windows = await bus.handle(CloseDecisionWindows(moment))
        reminded, expired = await bus.handle(SweepDeadlines(moment))
        erased = await bus.handle(SweepRetention(moment))
        return {
            "now": moment.isoformat(), "reminded": str(len(reminded)), "expired": str(len(expired)),
            "erased": str(len(erased)), "windows_closed": str(sum(len(w.members) for w in windows)),
        }  # fmt: skip
