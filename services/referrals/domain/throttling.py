"""What throttling a sign-in decides with: the keys an attempt is counted under (the account, the client's
address, hashed) and why an attempt must wait."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Wait:
    """Why an attempt is refused now: which key, until when, and whether it is the lock."""

    key: str
    until: datetime
    locked: bool

    def seconds(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))


@dataclass(frozen=True)
class Failure:
    key: str
    failures: int
    locked_now: bool  # this failure started the lock (audit it once)


def account_key(login: str) -> str:
    return f"account:{login.strip().lower()[:80]}"


def client_key(address: str) -> str:
    return "client:" + hashlib.sha256(address.encode()).hexdigest()[:32]
