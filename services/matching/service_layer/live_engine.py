"""The engine a running matcher uses: rebuilt when the openings change, priced by the last batch solve."""

from __future__ import annotations

import asyncio
import logging

from services.matching.adapters.batch_state import PendingProfiles, SeatPrices
from services.matching.adapters.openings_view import OpeningsView
from services.matching.domain.success_model import SuccessModel
from services.matching.service_layer.engine import MatchingEngine
from services.matching.service_layer.propose import Clock

log = logging.getLogger(__name__)


class LiveEngine:
    def __init__(self, openings: OpeningsView, prices: SeatPrices, model: SuccessModel) -> None:
        self._openings = openings
        self._prices = prices
        self._model = model
        self._engine: MatchingEngine | None = None
        self._version = -1

    @property
    def model(self) -> SuccessModel:
        return self._model

    def use_model(self, model: SuccessModel) -> None:
        """Swap in a retrained model; the next request rebuilds the engine with it."""
        self._model = model
        self._engine = None

    async def current(self) -> MatchingEngine:
        version = await self._openings.version()
        if self._engine is None or version != self._version:
            self._engine = MatchingEngine(await self._openings.all(), self._model)
            self._version = version
        self._engine.set_prices(await self._prices.load())
        return self._engine


async def reoptimise(
    openings: OpeningsView, pending: PendingProfiles, prices: SeatPrices, model: SuccessModel, clock: Clock
) -> int:
    """Solve the batch of newcomers with a live proposal and store the seats' dual prices."""
    profiles = await pending.live(clock())
    engine = MatchingEngine(await openings.all(), model)
    if not profiles or not engine.openings:
        await prices.replace({})
        return 0
    result = await asyncio.to_thread(engine.assign_batch, profiles, 20, None, False)
    await prices.replace(engine.price_map())
    log.info(
        "re-optimised",
        extra={
            "profiles": len(profiles),
            "objective": round(result.assignment.objective, 3),
            "priced_openings": len(engine.price_map()),
        },
    )
    return len(profiles)
