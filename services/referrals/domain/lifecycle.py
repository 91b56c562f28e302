"""The referral lifecycle: which transitions are legal, and what each answer leads to next."""

from __future__ import annotations

from datetime import date

from shared.contract.vocabulary import ReferralStatus as S

AWAITING_ANSWER = frozenset({S.PROPOSED, S.SENT, S.WAITLISTED})
TERMINAL = frozenset({S.DECLINED, S.EXPIRED, S.WITHDRAWN, S.COMPLETED, S.DROPPED_OUT})

TRANSITIONS: dict[S, frozenset[S]] = {
    S.PROPOSED: frozenset({S.SENT, S.ACCEPTED, S.DECLINED, S.WAITLISTED, S.EXPIRED, S.WITHDRAWN}),
    S.SENT: frozenset({S.ACCEPTED, S.DECLINED, S.WAITLISTED, S.EXPIRED, S.WITHDRAWN}),
    S.WAITLISTED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.ENROLLED, S.WITHDRAWN}),
    S.ENROLLED: frozenset({S.COMPLETED, S.DROPPED_OUT}),
}
# An outcome at 3 months is recorded once the person has left the programme (or is still in it).
OUTCOME_ALLOWED_FROM = frozenset({S.ENROLLED, S.COMPLETED, S.DROPPED_OUT})


class IllegalTransition(Exception):
    def __init__(self, referral_id: str, current: S, wanted: S | str) -> None:
        self.referral_id = referral_id
        self.current = current
        self.wanted = wanted
        super().__init__(f"referral {referral_id} is {current.value}; it cannot become {wanted}")


class NotBeforeStart(IllegalTransition):
    """Enrolment before the cohort's start date, without the partner saying it started early."""

    def __init__(self, referral_id: str, current: S, starts_on: date) -> None:
        super().__init__(referral_id, current, "enrolled")
        self.starts_on = starts_on
        self.args = (
            f"la session commence le {starts_on.isoformat()} : une inscription plus tôt demande started_early"
            f" et une note / the cohort starts on {starts_on.isoformat()}: enrolling earlier needs"
            " started_early and a note",
        )


def check_transition(referral_id: str, current: S, wanted: S) -> None:
    if wanted not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(referral_id, current, wanted.value)


def next_step(status: S) -> str:
    """What should happen next, in words (shown to auditors and partners)."""
    return {
        S.PROPOSED: "sent to the partner when its decision window closes",
        S.SENT: "partner to review and answer",
        S.WAITLISTED: "partner to confirm when a seat frees up",
        S.ACCEPTED: "partner to enrol the newcomer",
        S.ENROLLED: "partner to report completion or drop-out",
        S.COMPLETED: "partner to record the outcome at 3 months",
        S.DROPPED_OUT: "partner to record the outcome at 3 months",
        S.DECLINED: "referred elsewhere automatically",
        S.EXPIRED: "referred elsewhere automatically",
        S.WITHDRAWN: "none",
    }[status]
