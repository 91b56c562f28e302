"""In-memory stand-ins for referrals' ports (`services/referrals/service_layer/ports.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.referrals.adapters.referral_views import MILESTONES, milestones_of
from services.referrals.domain.lifecycle import AWAITING_ANSWER
from services.referrals.domain.records import PersonalKeyIssued, ProfileVersion
from services.referrals.domain.referral_view import ReferralView, next_view, sent_to_partner
from services.referrals.domain.signing import CirSigningCreate
from shared.contract.events import (
    AuditRecord,
    ConsentRecorded,
    MatchingProposal,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
)
from shared.contract.events.credential import CredentialChange
from shared.contract.vocabulary import ReferralStatus


@dataclass
class FakeRecords:
    signings: dict[str, CirSigningCreate] = field(default_factory=dict)
    histories: dict[str, list[ProfileVersion]] = field(default_factory=dict)
    openings: dict[str, ProgrammeOpening] = field(default_factory=dict)
    proposals: dict[str, MatchingProposal] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)
    consent_records: dict[str, dict[int, ConsentRecorded]] = field(default_factory=dict)
    audit: dict[str, dict[str, AuditRecord]] = field(default_factory=dict)
    erased: dict[str, AuditRecord] = field(default_factory=dict)

    async def forget_signing(self, beneficiary_id: str) -> None:
        self.signings.pop(beneficiary_id, None)
        self.histories.pop(beneficiary_id, None)

    async def forget_person(self, erasure: AuditRecord) -> None:
        await self.forget_signing(erasure.subject)
        self.consent_records.pop(erasure.subject, None)
        self.audit.pop(erasure.subject, None)
        self.erased[erasure.subject] = erasure

    async def erasure_of(self, beneficiary_id: str) -> AuditRecord | None:
        return self.erased.get(beneficiary_id)

    async def get_signing(self, beneficiary_id: str) -> CirSigningCreate | None:
        return self.signings.get(beneficiary_id)

    async def keep_signing(self, signing: CirSigningCreate, history: list[ProfileVersion]) -> None:
        self.signings[signing.beneficiary_id] = signing
        self.histories[signing.beneficiary_id] = list(history)

    async def history(self, beneficiary_id: str) -> list[ProfileVersion]:
        return list(self.histories.get(beneficiary_id, []))

    async def all_signings(self) -> list[CirSigningCreate]:
        return list(self.signings.values())

    async def keep_consent(self, record: ConsentRecorded) -> bool:
        if record.beneficiary_id in self.erased:
            return False
        self.consent_records.setdefault(record.beneficiary_id, {})[record.version] = record
        return True

    async def keep_audit(self, event_id: str, record: AuditRecord) -> None:
        self.audit.setdefault(record.subject, {})[event_id] = record

    async def audit_of(self, subject: str) -> list[AuditRecord]:
        return sorted(self.audit.get(subject, {}).values(), key=lambda r: r.at)

    async def consents(self, beneficiary_id: str) -> list[ConsentRecorded]:
        return [record for _, record in sorted(self.consent_records.get(beneficiary_id, {}).items())]

    async def get_opening(self, opening_id: str) -> ProgrammeOpening | None:
        return self.openings.get(opening_id)

    async def save_opening(self, opening: ProgrammeOpening) -> None:
        self.openings[opening.opening_id] = opening

    async def list_openings(self) -> list[ProgrammeOpening]:
        return sorted(self.openings.values(), key=lambda o: o.opening_id)

    async def latest_proposal(self, beneficiary_id: str) -> MatchingProposal | None:
        return self.proposals.get(beneficiary_id)

    async def save_latest_proposal(self, proposal: MatchingProposal) -> None:
        current = self.proposals.get(proposal.beneficiary_id)
        if current is None or current.profile_version <= proposal.profile_version:
            self.proposals[proposal.beneficiary_id] = proposal

    async def was_published(self, event_id: str) -> bool:
        return event_id in self.published

    async def mark_published(self, event_id: str) -> None:
        self.published.add(event_id)


@dataclass
class FakePersonalKeys:
    keys: dict[str, dict[str, PersonalKeyIssued]] = field(default_factory=dict)
    erased: dict[str, AuditRecord] = field(default_factory=dict)  # the records' own, as Redis shares the hash

    async def all_of(self, beneficiary_id: str) -> list[PersonalKeyIssued]:
        return sorted(self.keys.get(beneficiary_id, {}).values(), key=lambda k: (k.issued_at, k.key_id))

    async def keep(self, record: PersonalKeyIssued) -> bool:
        if record.beneficiary_id in self.erased:
            return False
        self.keys.setdefault(record.beneficiary_id, {})[record.key_id] = record
        return True

    async def forget(self, beneficiary_id: str, key_id: str | None = None) -> None:
        if key_id is None:
            self.keys.pop(beneficiary_id, None)
        else:
            self.keys.get(beneficiary_id, {}).pop(key_id, None)
            if not self.keys.get(beneficiary_id, True):
                del self.keys[beneficiary_id]


@dataclass
class FakeViews:
    views: dict[str, ReferralView] = field(default_factory=dict)
    funnels: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    closing: dict[str, str] = field(default_factory=dict)

    async def get(self, referral_id: str) -> ReferralView | None:
        return self.views.get(referral_id)

    async def apply(self, event: ReferralEvent) -> bool:
        after = next_view(self.views.get(event.referral_id), event)
        if after is None:
            return False
        self.views[after.referral_id] = after
        reached = milestones_of(after)  # the adapter's own rule
        for milestone in reached:
            self.funnels.setdefault(after.programme, {}).setdefault(milestone, set()).add(after.referral_id)
        return True

    def _sorted(self, views: list[ReferralView]) -> list[ReferralView]:
        return sorted(views, key=lambda v: v.created_at)

    async def of_beneficiary(self, beneficiary_id: str) -> list[ReferralView]:
        return self._sorted([v for v in self.views.values() if v.beneficiary_id == beneficiary_id])

    async def of_partner(self, partner_id: str, status: ReferralStatus | None = None) -> list[ReferralView]:
        return self._sorted(
            [
                v
                for v in self.views.values()
                if v.partner_id == partner_id and status in (None, v.status) and sent_to_partner(v)
            ]
        )

    async def active_on(self, opening_id: str) -> int:
        active = (*AWAITING_ANSWER, ReferralStatus.ACCEPTED, ReferralStatus.ENROLLED)
        return sum(1 for v in self.views.values() if v.opening_id == opening_id and v.status in active)

    async def due_before(self, moment: datetime) -> list[str]:
        return [
            v.referral_id
            for v in sorted(self.views.values(), key=lambda v: v.respond_by or moment)
            if v.status in AWAITING_ANSWER and v.respond_by is not None and v.respond_by <= moment
        ]

    async def due_to_send(self, moment: datetime) -> list[str]:
        return [
            v.referral_id
            for v in sorted(self.views.values(), key=lambda v: v.send_by or moment)
            if v.status is ReferralStatus.PROPOSED
            and v.send_by is not None
            and v.send_by <= moment
            and v.referral_id not in self.closing
        ]

    async def mark_closing(self, referral_ids: list[str], window_id: str) -> None:
        self.closing |= dict.fromkeys(referral_ids, window_id)

    async def funnel(self) -> dict[str, dict[str, int]]:
        return {p: {m: len(self.funnels[p].get(m, set())) for m in MILESTONES} for p in sorted(self.funnels)}


@dataclass
class FakeFlags:
    flags: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    async def flag(self, opening_id: str, referral_id: str, note: str | None, at: datetime) -> None:
        self.flags.setdefault(opening_id, {})[referral_id] = {"referral_id": referral_id, "note": note,
                                                               "at": at.isoformat()}  # fmt: skip

    async def of_opening(self, opening_id: str) -> list[dict[str, str | None]]:
        return sorted(self.flags.get(opening_id, {}).values(), key=lambda entry: entry["at"])


@dataclass
class FakeSubscriptions:
    subscriptions: dict[tuple[str, str], PartnerSubscription] = field(default_factory=dict)

    async def save(self, subscription: PartnerSubscription) -> None:
        self.subscriptions[(subscription.partner_id, subscription.subscription_id)] = subscription

    async def get(self, partner_id: str, subscription_id: str) -> PartnerSubscription | None:
        return self.subscriptions.get((partner_id, subscription_id))

    async def of(self, partner_id: str) -> list[PartnerSubscription]:
        return sorted((s for (p, _), s in self.subscriptions.items() if p == partner_id), key=lambda s: s.changed_at)


@dataclass
class FakeCredentialRecords:
    tables: dict[str, dict[str, dict[str, str | None]]] = field(default_factory=dict)

    async def restore(self, change: CredentialChange) -> None:
        table = self.tables.setdefault(change.kind, {})
        if change.record is None:
            table.pop(change.id, None)
        else:
            table[change.id] = dict(change.record)


class FakeLocks:
    def __init__(self) -> None:
        self.held: set[str] = set()

    @asynccontextmanager
    async def hold(self, referral_id: str) -> AsyncIterator[None]:
        assert referral_id not in self.held, f"{referral_id} locked twice"
        self.held.add(referral_id)
        try:
            yield
        finally:
            self.held.discard(referral_id)
