"""The engine a running matcher uses: rebuilt when the openings or the success model change, priced by
the last batch solve. Real-time proposals and the batch re-solve both take their model from here, and
here it is the latest version published on matching.model.v1 (kept in Redis), on every instance."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.success_model import SuccessModel
from services.matching.service_layer.ports import Models, Openings, Pending, Prices
from services.matching.service_layer.propose import Clock
from shared.contract.paris_time import paris_today
from shared.messaging.batch_reads import read_once_per_batch

log = logging.getLogger(__name__)


class LiveEngine:
    def __init__(
        self,
        openings: Openings,
        prices: Prices,
        models: Models,
        own_model: SuccessModel,
        today: Callable[[], date] = paris_today,
    ) -> None:
        """`own_model`: what this instance scores with until a trained version is published (the prior,
        or what it learned from its start-up history); `today`: the day legal delays count on."""
        self.openings = openings
        self.today = today
        self.prices = prices
        self._models = models
        self._model = own_model
        self._engine: MatchingEngine | None = None
        self._openings_version = -1

    async def model(self) -> SuccessModel:
        """The latest published model (one Redis read when nothing changed)."""
        version = await self._models.version()
        if version > self._model.version:
            artefact = await self._models.latest()
            if artefact is not None:
                try:
                    self._model = SuccessModel.from_event(artefact)
                except ValueError:  # kept by an older matcher that did not check: score on with the last one
                    log.exception("success model unreadable; the previous one is kept", extra={"version": version})
                    return self._model
                log.info("success model loaded", extra={"version": artefact.version, "model": artefact.source})
        return self._model

    async def current(self) -> MatchingEngine:
        """The engine for the latest model, openings and seat prices (read once per consumed batch)."""
        return await read_once_per_batch("matching:engine", self._current)

    async def _current(self) -> MatchingEngine:
        model = await self.model()
        version = await self.openings.version()
        if self._engine is None or version != self._openings_version or self._engine.model is not model:
            self._engine = MatchingEngine(await self.openings.all(), model, self.today)
            self._openings_version = version
        self._engine.set_prices(await self.prices.load())
        return self._engine


async def reoptimise(live: LiveEngine, pending: Pending, clock: Clock, max_profiles: int | None = None) -> int:
    """Solve the batch of newcomers with a live proposal and store the seats' dual prices, scoring with
    the same model as real-time proposals. At most `max_profiles` newcomers, those whose holds were granted
    last: the solve runs every few seconds, and its time and memory must not grow with a backlog (a day of
    OFII signings is a few hundred people; a replay or a load test holds seats for a hundred thousand)."""
    profiles = await pending.live(clock(), max_profiles)
    engine = MatchingEngine(await live.openings.all(), await live.model(), live.today)
    if not profiles or not engine.openings:
        await live.prices.replace({})
        return 0
    result = await asyncio.to_thread(engine.assign_batch, profiles, 20, None, False)
    await live.prices.replace(engine.price_map())
    log.info(
        "re-optimised",
        extra={
            "profiles": len(profiles),
            "objective": round(result.assignment.objective, 3),
            "priced_openings": len(engine.price_map()),
            "model_version": engine.model.version,
        },
    )
    return len(profiles)
