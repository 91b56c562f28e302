"""Which referral events become candidate-pool entries, and what such an entry holds."""

from __future__ import annotations

import uuid

from shared.contract.events import PartnerCandidateEntry, ReferralEvent
from shared.contract.vocabulary import ReferralEventKind, ReferralStatus

ENTRY_NAMESPACE = uuid.UUID("3c1d9b8e-2f47-4a6b-a0e5-7d8c9b0a1f23")


def candidate_entry_for(event: ReferralEvent) -> PartnerCandidateEntry | None:
    """A referral sent to its partner (its decision window closed) is a new candidate for it; a referral
    still proposed is not, nor are other lifecycle changes. The skills are left out: auditors type them
    freely (names end up there), and an entry goes out before any partner has accepted anyone; the partner
    reads them on the referral once it has accepted and the person consented to be known."""
    if event.status is not ReferralStatus.SENT or event.kind is not ReferralEventKind.STATUS:
        return None
    return PartnerCandidateEntry(
        referral_id=event.referral_id,
        opening_id=event.opening_id,
        programme=event.programme,
        proposed_at=event.occurred_at,
        score=event.score,
        respond_by=event.respond_by,
        candidate=event.candidate.model_copy(update={"skills": []}),
    )


def entry_event_id(partner_id: str, referral_id: str) -> str:
    """The same referral gives the same entry id, so a partner can drop a duplicate."""
    return str(uuid.uuid5(ENTRY_NAMESPACE, f"{partner_id}:{referral_id}"))
