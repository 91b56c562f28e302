"""A seat held for a newcomer on an opening."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Hold:
    opening_id: str
    holder: str
    expires_at: datetime | None  # None: the seat is already confirmed
