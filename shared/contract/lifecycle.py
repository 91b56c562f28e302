"""What each referral status means for the other services (part of the event contract)."""

from __future__ import annotations

from shared.contract.vocabulary import OutcomeAtThreeMonths
from shared.contract.vocabulary import ReferralStatus as S

# The seat held for the newcomer goes back to the opening.
RELEASES_SEAT = frozenset({S.DECLINED, S.EXPIRED, S.WITHDRAWN, S.DROPPED_OUT, S.COMPLETED})
# The held seat becomes a confirmed one.
CONFIRMS_SEAT = frozenset({S.ACCEPTED})
# The newcomer is proposed the next-best opening automatically.
REROUTE_AFTER = frozenset({S.DECLINED, S.EXPIRED})
# Outcomes that count as a success for the matcher's model.
SUCCESSFUL_OUTCOMES = frozenset({OutcomeAtThreeMonths.EMPLOYED, OutcomeAtThreeMonths.IN_TRAINING})
