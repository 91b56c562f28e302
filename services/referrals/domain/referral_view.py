"""A referral as auditors and partners see it: built only from `referral.event.v1`, event by event."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.referrals.domain.lifecycle import next_step
from shared.contract.events import CandidateSummary, ReferralEvent
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralEventKind, ReferralStatus


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    sequence: int
    kind: ReferralEventKind
    status: ReferralStatus
    at: datetime
    actor: str
    decline_reason: DeclineReason | None = None
    note: str | None = None
    outcome: OutcomeAtThreeMonths | None = None


class ReferralView(BaseModel):
    model_config = ConfigDict(frozen=True)

    referral_id: str
    beneficiary_id: str
    opening_id: str
    partner_id: str
    programme: str
    status: ReferralStatus
    version: int
    score: float | None = None
    reasons: list[str] = Field(default_factory=list)
    respond_by: datetime | None = None
    send_by: datetime | None = None  # proposed in a decision window: sent to the partner then
    reminded: bool = False
    outcome: OutcomeAtThreeMonths | None = None
    created_at: datetime
    updated_at: datetime
    next_step: str
    candidate: CandidateSummary
    history: list[HistoryEntry]


# From acceptance on, the partner has taken the person on: only then may it learn who they are.
ACCEPTED_OR_LATER = frozenset(
    {ReferralStatus.ACCEPTED, ReferralStatus.ENROLLED, ReferralStatus.COMPLETED, ReferralStatus.DROPPED_OUT}
)


class PartnerReferralView(ReferralView):
    """A referral as its partner sees it: who the person is (`beneficiary_id`, an OFII file number where
    auditors use one) is left out until the partner has accepted and the person consented to sharing."""

    beneficiary_id: str | None = Field(  # type: ignore[assignment]
        None, description="Shown once the referral is accepted and the newcomer consented; null before"
    )


def sent_to_partner(view: ReferralView) -> bool:
    """Whether its partner ever received it: a referral still waiting for its decision window, or moved
    or withdrawn before it was sent, is none of the partner's business."""
    return any(entry.status is ReferralStatus.SENT for entry in view.history)


MANUAL_REASON = "orientation manuelle"
AUDITORS_WORDS = ("auditor", "newcomer")  # a withdrawal "by the newcomer" is noted by the auditor too


def for_partner(view: ReferralView, consents_now: bool) -> PartnerReferralView:
    """`consents_now`: the person's current consent to be known by the partner that accepts them (not the
    referral's own `candidate.consented`, which is the pool answer when the referral was made).

    Until the person may be known, what an auditor wrote freely is left out too — the skills, the reason of
    a referral by hand, an auditor's notes in the history: auditors write names there."""
    identified = view.status in ACCEPTED_OR_LATER and consents_now
    shown = view.model_dump() | {"beneficiary_id": view.beneficiary_id if identified else None}
    if not identified:
        shown["candidate"] = view.candidate.model_copy(update={"skills": []})
        shown["reasons"] = [MANUAL_REASON if r.startswith(MANUAL_REASON) else r for r in view.reasons]
        shown["history"] = [
            h.model_copy(update={"note": None}) if h.actor.startswith(AUDITORS_WORDS) else h for h in view.history
        ]
    return PartnerReferralView(**shown)


def _entry(event: ReferralEvent) -> HistoryEntry:
    return HistoryEntry(
        sequence=event.sequence,
        kind=event.kind,
        status=event.status,
        at=event.occurred_at,
        actor=event.actor,
        decline_reason=event.decline_reason,
        note=event.note,
        outcome=event.outcome,
    )


class OutOfOrder(Exception):
    """An event whose predecessor has not been applied."""


def next_view(before: ReferralView | None, event: ReferralEvent) -> ReferralView | None:
    """The view after `event`, or None when the event was applied already (a redelivery); OutOfOrder when
    its predecessor is missing."""
    version = before.version if before else 0
    if event.sequence <= version:
        return None
    if event.sequence != version + 1:
        raise OutOfOrder(f"event {event.sequence} of {event.referral_id} after {version}")
    return start_view(event) if before is None else apply_event(before, event)


def start_view(event: ReferralEvent) -> ReferralView:
    return ReferralView(
        referral_id=event.referral_id,
        beneficiary_id=event.beneficiary_id,
        opening_id=event.opening_id,
        partner_id=event.partner_id,
        programme=event.programme,
        status=event.status,
        version=event.sequence,
        score=event.score,
        reasons=event.reasons,
        respond_by=event.respond_by,
        send_by=event.send_by,
        created_at=event.occurred_at,
        updated_at=event.occurred_at,
        next_step=next_step(event.status),
        candidate=event.candidate,
        history=[_entry(event)],
    )


def apply_event(view: ReferralView, event: ReferralEvent) -> ReferralView:
    """The view after `event`, which must be the next in sequence."""
    changes: dict[str, object] = {
        "version": event.sequence,
        "updated_at": event.occurred_at,
        "history": [*view.history, _entry(event)],
    }
    if event.kind is ReferralEventKind.STATUS:
        changes |= {"status": event.status, "next_step": next_step(event.status)}
        if event.respond_by is not None:
            changes["respond_by"] = event.respond_by
    elif event.kind is ReferralEventKind.REMINDER:
        changes["reminded"] = True
    elif event.kind is ReferralEventKind.OUTCOME:
        changes["outcome"] = event.outcome
    return view.model_copy(update=changes)


def event_from(view: ReferralView, **fields: object) -> dict[str, object]:
    """The common fields of the next event about `view`."""
    return {
        "referral_id": view.referral_id,
        "beneficiary_id": view.beneficiary_id,
        "opening_id": view.opening_id,
        "partner_id": view.partner_id,
        "programme": view.programme,
        "candidate": view.candidate,
        "score": view.score,
        "sequence": view.version + 1,
        "status": view.status,
        **fields,
    }
