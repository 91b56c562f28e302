"""Decision windows: when a referral proposed now is sent to its partner.

Windows are `minutes` long and aligned on local midnight in Paris plus `offset_minutes` (1440 and 1020:
every day at 17:00; 240 and 0: at 00:00, 04:00, 08:00…). A window never delays a referral past its
opening's deadline (the partner keeps its whole time to answer before the cohort starts) nor past the
newcomer's legal delay (`shared.contract.legal_delays`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.contract.events import ProgrammeOpening
from shared.contract.paris_time import PARIS


@dataclass(frozen=True)
class DecisionWindows:
    minutes: int = 0  # 0: no window, a referral is sent as soon as it is proposed
    offset_minutes: int = 0

    @property
    def enabled(self) -> bool:
        return self.minutes > 0

    def closes_after(self, moment: datetime) -> datetime:
        """The first window close strictly after `moment` (in Paris time, so 17:00 stays 17:00 across the
        change to summer time)."""
        local = moment.astimezone(PARIS)
        day = datetime.combine(local.date(), time(), PARIS)
        start = day + timedelta(minutes=self.offset_minutes) - timedelta(days=1)
        # Wall-clock arithmetic (aware datetimes in one zone): jump close to `moment`, then step past it.
        steps = max(0, int((local - start).total_seconds() // 60) // self.minutes - 1)
        candidate = start + timedelta(minutes=steps * self.minutes)
        while candidate <= local:
            candidate += timedelta(minutes=self.minutes)
        return candidate.astimezone(moment.tzinfo)

    def send_by(
        self, moment: datetime, opening: ProgrammeOpening | None, response_days: int, orient_by: date | None = None
    ) -> datetime | None:
        """When a referral proposed at `moment` is sent; None when it is sent at once (no window, or a
        deadline — the opening's start, the newcomer's legal `orient_by` — leaves no time to wait: the
        partner keeps its `response_days` before each)."""
        if not self.enabled:
            return None
        closes = self.closes_after(moment)
        for deadline in (opening.starts_on if opening else None, orient_by):
            if deadline is None:
                continue
            latest = datetime.combine(deadline, time(), PARIS) - timedelta(days=response_days)
            if latest <= moment:
                return None
            closes = min(closes, latest.astimezone(moment.tzinfo))
        return closes

    def window_id(self, closing: datetime) -> str:
        return closing.astimezone(PARIS).isoformat(timespec="minutes")
