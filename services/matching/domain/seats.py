"""A seat held for a newcomer on an opening, and a move of one at a decision window's close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Hold:
    opening_id: str
    holder: str
    expires_at: datetime | None  # None: the seat is already confirmed


@dataclass(frozen=True)
class SeatMove:
    """At a window's close: `holder` leaves its provisional seat on `old` for one on `new` (the same
    opening: it stays; None: it has none, its seat goes to someone else), held until `expires_at` if it
    is a new hold."""

    holder: str
    old: str | None
    new: str | None
    expires_at: datetime
