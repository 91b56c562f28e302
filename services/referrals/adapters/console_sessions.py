"""Console sessions kept on the server: the browser holds only a random session id (256 bits); Redis holds,
under a digest of it, whose session it is, when it was opened and last used, and its few values (CSRF token,
language, the next page's message). Ending a session deletes it, so a copy of the cookie is dead at once;
every session of an account can be ended together (disabled, new password). A session unused for `idle`
or opened more than `absolute` ago is over, by the service's clock.

Sessions live in the cache Redis: they are not rebuilt from the log, and after a loss people sign in again."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.asyncio import Redis

PREFIX = "referrals:console-session"
TOUCH_EVERY = timedelta(minutes=1)  # `seen_at` is written at most this often, not on every request


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class ConsoleSession:
    digest: str
    login: str
    opened_at: datetime
    seen_at: datetime
    data: dict[str, str] = field(default_factory=dict)

    def dump(self) -> str:
        return json.dumps({"login": self.login, "opened_at": self.opened_at.isoformat(),
                           "seen_at": self.seen_at.isoformat(), "data": self.data})  # fmt: skip

    @classmethod
    def load(cls, digest: str, raw: str) -> ConsoleSession:
        record = json.loads(raw)
        return cls(digest, record["login"], datetime.fromisoformat(record["opened_at"]),
                   datetime.fromisoformat(record["seen_at"]), dict(record.get("data", {})))  # fmt: skip


class ConsoleSessions:
    def __init__(self, redis: Redis, clock: Callable[[], datetime], idle: timedelta, absolute: timedelta) -> None:
        self._redis = redis
        self._clock = clock
        self.idle = idle
        self.absolute = absolute

    def _ttl(self) -> int:
        """Redis forgets an unused session a little after `idle` (garbage only: the clock decides)."""
        return int(min(self.idle, self.absolute).total_seconds()) + 60

    async def open(self, login: str, data: dict[str, str]) -> tuple[str, ConsoleSession]:
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        session = ConsoleSession(_digest(session_id), login, now, now, dict(data))
        await self._redis.set(f"{PREFIX}:{session.digest}", session.dump(), ex=self._ttl())
        index = f"{PREFIX}s-of:{login}"
        await self._redis.sadd(index, session.digest)
        await self._redis.expire(index, int(self.absolute.total_seconds()) + 60)
        return session_id, session

    async def read(self, session_id: str) -> ConsoleSession | None:
        """The live session with this id, or None (unknown, ended, idle too long, too old)."""
        if not session_id or len(session_id) > 100:
            return None
        digest = _digest(session_id)
        raw = await self._redis.get(f"{PREFIX}:{digest}")
        if raw is None:
            return None
        session = ConsoleSession.load(digest, str(raw))
        now = self._clock()
        if now - session.opened_at >= self.absolute or now - session.seen_at >= self.idle:
            await self.end(session)
            return None
        if now - session.seen_at >= TOUCH_EVERY:
            session.seen_at = now
            await self._redis.set(f"{PREFIX}:{digest}", session.dump(), ex=self._ttl())
        return session

    async def save(self, session: ConsoleSession) -> None:
        """Keep the session's changed values (its timeouts are unchanged)."""
        await self._redis.set(f"{PREFIX}:{session.digest}", session.dump(), ex=self._ttl(), xx=True)

    async def end(self, session: ConsoleSession) -> None:
        await self._redis.delete(f"{PREFIX}:{session.digest}")
        await self._redis.srem(f"{PREFIX}s-of:{session.login}", session.digest)

    async def end_all_of(self, login: str) -> int:
        """End every session of the account; how many were live."""
        index = f"{PREFIX}s-of:{login}"
        digests = [str(d) for d in await self._redis.smembers(index)]
        ended = await self._redis.delete(*(f"{PREFIX}:{d}" for d in digests)) if digests else 0
        await self._redis.delete(index)
        return int(ended)
