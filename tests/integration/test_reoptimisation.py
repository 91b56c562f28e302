"""The periodic re-solve over newcomers with a live proposal leaves seat prices that the online path uses."""

from datetime import UTC, date, datetime, timedelta

from redis.asyncio import Redis

from services.matching.adapters.batch_state import PendingProfiles, SeatPrices
from services.matching.adapters.model_store import ModelStore
from services.matching.adapters.openings_view import OpeningsView
from services.matching.domain.success_model import prior_model
from services.matching.service_layer.live_engine import LiveEngine, reoptimise
from tests.factories import epide_opening, profile
from tests.support import random_ref

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_a_contested_seat_gets_a_price_and_the_live_engine_sees_it(redis: Redis) -> None:
    prefix = random_ref("reopt")
    openings = OpeningsView(redis, key=f"{prefix}:openings")
    pending = PendingProfiles(redis, key=f"{prefix}:pending")
    prices = SeatPrices(redis, key=f"{prefix}:prices")
    scarce = epide_opening(seats=1, target_occupations=["G1602"])
    await openings.upsert(scarce)
    cook = profile(birth_date=date(2005, 1, 1), occupations=["G1602"])
    other = profile(birth_date=date(2005, 1, 1), occupations=["H2913"])
    await pending.add(cook, NOW + timedelta(days=7))
    await pending.add(other, NOW + timedelta(days=7))
    await pending.add(profile(birth_date=date(2005, 1, 1)), NOW - timedelta(seconds=1))  # expired

    live = LiveEngine(openings, prices, ModelStore(redis, key=f"{prefix}:model"), prior_model())
    solved = await reoptimise(live, pending, lambda: NOW)

    assert solved == 2
    price = (await prices.load())[scarce.opening_id]
    assert 0 < price < 1
    engine = await live.current()
    [candidate] = engine.candidates(other)
    assert candidate.price == price
    assert len(await pending.live(NOW)) == 2


async def test_without_pending_newcomers_prices_are_cleared(redis: Redis) -> None:
    prefix = random_ref("reopt")
    openings = OpeningsView(redis, key=f"{prefix}:openings")
    prices = SeatPrices(redis, key=f"{prefix}:prices")
    await openings.upsert(epide_opening())
    await prices.replace({"x": 0.5})

    live = LiveEngine(openings, prices, ModelStore(redis, key=f"{prefix}:model"), prior_model())
    await reoptimise(live, PendingProfiles(redis, key=f"{prefix}:pending"), lambda: NOW)

    assert await prices.load() == {}


async def test_a_backlog_of_holders_is_solved_on_the_latest_ones_only(redis: Redis) -> None:
    prefix = random_ref("reopt")
    openings = OpeningsView(redis, key=f"{prefix}:openings")
    pending = PendingProfiles(redis, key=f"{prefix}:pending")
    await openings.upsert(epide_opening(seats=1))
    for hours in range(5):
        await pending.add(profile(birth_date=date(2005, 1, 1)), NOW + timedelta(days=7, hours=hours))
    live = LiveEngine(openings, SeatPrices(redis, key=f"{prefix}:prices"), ModelStore(redis, key=f"{prefix}:m"),
                      prior_model())  # fmt: skip

    assert await reoptimise(live, pending, lambda: NOW, max_profiles=3) == 3
    assert await reoptimise(live, pending, lambda: NOW) == 5
