"""argon2id off the event loop. Hashing and verifying a password costs tens of milliseconds of CPU and
64 MiB each (the library's memory-hard defaults); run on the event loop, 16 failed sign-ins at once held
every other request and the Kafka consumers of the process for seconds. Here they run in worker threads
(argon2-cffi releases the GIL), at most `workers` at a time, and at most `max_waiting` more wait for one:
beyond that the caller is told to come back (`HashingBusy`) instead of queueing without end."""

from __future__ import annotations

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, 64 MiB, 3 passes
# Verified against when the login is unknown, so that a wrong login costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("passerelle-no-such-account")


class HashingBusy(Exception):
    """Too many password checks are waiting already: the caller should retry in a moment (503)."""


class PasswordHashing:
    def __init__(self, workers: int = 1, max_waiting: int = 32) -> None:
        self._limiter = anyio.CapacityLimiter(workers)
        self._max_waiting = max_waiting

    def _admit(self) -> None:
        if self._limiter.statistics().tasks_waiting >= self._max_waiting:
            raise HashingBusy()

    async def hash(self, password: str) -> str:
        self._admit()
        return await anyio.to_thread.run_sync(_hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` is the one hashed; with no hash (unknown login) the same work, then False."""
        self._admit()
        return await anyio.to_thread.run_sync(_verify, password_hash, password, limiter=self._limiter)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None
