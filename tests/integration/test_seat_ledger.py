import asyncio
from datetime import UTC, datetime, timedelta

from passerelle.infrastructure import Infrastructure
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.domain.seats import SeatMove
from shared.redis_factory import make_redis
from tests.support import random_ref

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


async def test_eight_concurrent_holders_never_overbook_a_120_seat_opening(infrastructure: Infrastructure) -> None:
    opening = random_ref("epide")
    clients = [make_redis(infrastructure.redis_url) for _ in range(8)]
    ledgers = [SeatLedger(client) for client in clients]
    await ledgers[0].set_capacity(opening, 120)

    async def holder(worker: int) -> int:
        won = 0
        for attempt in range(125):  # 8 x 125 = 1,000 attempts, each by a different person
            if await ledgers[worker].hold(opening, f"w{worker}-{attempt}", NOW, WEEK):
                won += 1
        return won

    try:
        wins = await asyncio.gather(*(holder(w) for w in range(8)))
        assert sum(wins) == 120
        assert await ledgers[0].available(opening, NOW) == 0
    finally:
        for client in clients:
            await client.aclose()


async def test_an_expired_hold_returns_its_seat(redis) -> None:  # type: ignore[no-untyped-def]
    ledger, opening = SeatLedger(redis), random_ref("hope")
    await ledger.set_capacity(opening, 1)
    assert await ledger.hold(opening, "first", NOW, WEEK)
    assert await ledger.hold(opening, "second", NOW, WEEK) is None

    after_expiry = NOW + WEEK + timedelta(seconds=1)

    assert await ledger.available(opening, after_expiry) == 1
    assert await ledger.hold(opening, "second", after_expiry, WEEK)


async def test_holding_twice_for_the_same_person_takes_one_seat(redis) -> None:  # type: ignore[no-untyped-def]
    ledger, opening = SeatLedger(redis), random_ref("epide")
    await ledger.set_capacity(opening, 5)

    first = await ledger.hold(opening, "b-1", NOW, WEEK)
    again = await ledger.hold(opening, "b-1", NOW + timedelta(hours=1), WEEK)

    assert first == again
    assert await ledger.available(opening, NOW) == 4


async def test_a_confirmed_seat_does_not_expire_and_a_released_one_returns(redis) -> None:  # type: ignore[no-untyped-def]
    ledger, opening = SeatLedger(redis), random_ref("spie")
    await ledger.set_capacity(opening, 1)
    await ledger.hold(opening, "b-1", NOW, WEEK)

    assert await ledger.confirm(opening, "b-1", NOW + timedelta(days=1))
    assert await ledger.available(opening, NOW + timedelta(days=30)) == 0

    assert await ledger.release(opening, "b-1")
    assert await ledger.available(opening, NOW + timedelta(days=30)) == 1


async def test_an_expired_hold_is_confirmed_only_while_a_seat_is_free(redis) -> None:  # type: ignore[no-untyped-def]
    ledger, opening = SeatLedger(redis), random_ref("fle")
    await ledger.set_capacity(opening, 1)
    await ledger.hold(opening, "b-1", NOW, WEEK)
    after_expiry = NOW + WEEK + timedelta(minutes=1)
    assert await ledger.hold(opening, "b-2", after_expiry, WEEK) is not None  # b-1's seat went to b-2

    assert not await ledger.confirm(opening, "b-1", after_expiry), "no seat left: never more than capacity"
    assert await ledger.release(opening, "b-2")
    assert await ledger.confirm(opening, "b-1", after_expiry), "a free seat is taken by the late acceptance"
    assert await ledger.available(opening, after_expiry) == 0


async def test_a_windows_moves_give_a_seat_up_to_someone_else_and_a_mover_whose_new_seat_is_gone_keeps_its_own(
    redis,  # type: ignore[no-untyped-def]
) -> None:
    ledger, x, y = SeatLedger(redis), random_ref("x"), random_ref("y")
    for opening in (x, y):
        await ledger.set_capacity(opening, 1)
    assert await ledger.hold(x, "a", NOW, WEEK) and await ledger.hold(y, "b", NOW, WEEK)

    held = await ledger.move_holds(
        [SeatMove("a", x, None, NOW + WEEK), SeatMove("c", None, x, NOW + WEEK), SeatMove("b", y, x, NOW + WEEK)],
        NOW,
    )

    assert [h.opening_id if h else None for h in held] == [None, x, y]  # a let go; c took it; b kept its own
    assert await ledger.available(x, NOW) == 0 and await ledger.available(y, NOW) == 0
