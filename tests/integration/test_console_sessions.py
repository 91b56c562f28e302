"""Console sessions on the server, against a real Redis and an injected clock: a session ends when signed
out, when unused for the idle time, when older than the absolute time however busy, and all of an
account's sessions end together; what Redis keeps is a digest of the id, never the id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from services.referrals.adapters.console_sessions import ConsoleSessions

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=8)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


async def test_a_session_ends_when_idle_and_when_too_old_however_busy(private_redis: Redis) -> None:
    clock = Clock()
    sessions = ConsoleSessions(private_redis, clock, IDLE, ABSOLUTE)
    idle_id, _ = await sessions.open("claire.martin", {"csrf": "t"})
    busy_id, _ = await sessions.open("claire.martin", {"csrf": "u"})
    clock.at += IDLE - timedelta(seconds=1)
    assert await sessions.read(busy_id) is not None
    clock.at += timedelta(seconds=1)
    assert await sessions.read(idle_id) is None  # unused for 30 minutes
    while clock.at + timedelta(minutes=29) < START + ABSOLUTE:  # used every 29 minutes, for 8 hours
        clock.at += timedelta(minutes=29)
        assert await sessions.read(busy_id) is not None
    clock.at = START + ABSOLUTE
    assert await sessions.read(busy_id) is None
    assert not [k async for k in private_redis.scan_iter("*") if busy_id in k or idle_id in k]


async def test_every_session_of_an_account_ends_together_and_only_its_own(private_redis: Redis) -> None:
    sessions = ConsoleSessions(private_redis, Clock(), IDLE, ABSOLUTE)
    mine = [(await sessions.open("claire.martin", {}))[0] for _ in range(3)]
    theirs, _ = await sessions.open("karim.benali", {})
    assert await sessions.end_all_of("claire.martin") == 3
    assert [await sessions.read(s) for s in mine] == [None, None, None]
    assert await sessions.read(theirs) is not None


async def test_a_signed_out_session_is_gone_and_a_forged_id_finds_nothing(private_redis: Redis) -> None:
    sessions = ConsoleSessions(private_redis, Clock(), IDLE, ABSOLUTE)
    session_id, session = await sessions.open("claire.martin", {"csrf": "t"})
    session.data["lang"] = "en"
    await sessions.save(session)
    assert (await sessions.read(session_id)).data == {"csrf": "t", "lang": "en"}  # type: ignore[union-attr]
    await sessions.end(session)
    assert await sessions.read(session_id) is None
    assert await sessions.read(session.digest) is None  # the stored digest is not an id that opens it
    assert await sessions.read("x" * 500) is None
