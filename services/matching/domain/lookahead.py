"""Who is still to come: at a window's close, the seats are shared between the window's newcomers and a
sample of the people expected before each opening stops taking referrals (a sampled look-ahead, as in
dynamic refugee matching). The sample is past arrivals, as many as the arrival rate says will come, each
given an arrival day spread evenly over the horizon; a look-alike arriving after an opening's last day to
refer (its start less the partner's time to answer) cannot take that opening's seat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from shared.contract.events import ProgrammeOpening

# The arrival rate is measured over the last 4 weeks (less while the service is younger than that).
RATE_DAYS = 28
# At most this many look-alikes per window (scoring them is the cost of a close: about 1 s per 10,000).
MAX_LOOKALIKES = 20_000
# No opening is looked ahead for more than half a year.
MAX_HORIZON_DAYS = 183


def days_left_to_refer(openings: Sequence[ProgrammeOpening], today: date) -> np.ndarray:
    """Per opening, the days from `today` to its last day to refer (0 when it is past)."""
    return np.array(
        [min(MAX_HORIZON_DAYS, max(0, (o.starts_on - today).days - o.response_days)) for o in openings],
        dtype=np.float64,
    )


def lookalike_days(per_day: float, horizon_days: float, cap: int = MAX_LOOKALIKES) -> np.ndarray:
    """Arrival days of the look-alikes: `per_day` x `horizon_days` of them (at most `cap`), evenly spread
    over the horizon, so that the same window always gets the same sample."""
    count = int(min(cap, round(max(per_day, 0.0) * max(horizon_days, 0.0))))
    return (np.arange(count) + 0.5) * (horizon_days / count) if count else np.zeros(0)
