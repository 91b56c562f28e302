"""Urgency in the objective: a newcomer whose legal delay (RSA orientation, SPIE appointment; see
`shared.contract.legal_delays`) is running out is worth more, so that, under scarce seats, they are assigned
first. The same for every opening of a delay, it decides who gets a seat more than which one."""

from __future__ import annotations

from datetime import date

import numpy as np

from services.matching.domain.tables import OpeningTable, ProfileTable
from shared.contract.legal_delays import ORIENTATION_DELAY, SPIE_APPOINTMENT_DELAY

# Added to a pair's value at full urgency (the deadline reached): about a third of a typical predicted
# success, enough to win a scarce seat over a newcomer without a deadline, not enough to send someone
# where they would likely fail.
URGENCY_WEIGHT = 0.2


def urgency(profiles: ProfileTable, pi: np.ndarray, openings: OpeningTable, oj: np.ndarray, today: date) -> np.ndarray:
    """Per pair (pi[k], oj[k]): 0 when no delay runs, else 0 at the RSA application rising to 1 on the
    deadline (30 days for an RSA-only opening, 6 weeks otherwise), 1 after it."""
    applied = profiles.rsa_day[pi]
    delay = np.where(openings.rsa_required[oj], SPIE_APPOINTMENT_DELAY.days, ORIENTATION_DELAY.days)
    left = applied + delay - today.toordinal()
    return np.where(applied >= 0, np.clip(1.0 - left / delay, 0.0, 1.0), 0.0)
