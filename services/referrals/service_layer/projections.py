"""Everything referrals keeps in Redis, and the event each piece is projected from.

- partners, API key digests, accounts, revoked links ← referrals.credential.v1 (private)
- signings with contact details, profile versions    ← referrals.signing.v1 (private)
- consent records, every version                     ← referrals.consent.v1
- audit records per person (disclosures, exports)    ← ops.audit.v1
- "profile published" markers                        ← beneficiary.profile.v1
- openings                                           ← programme.opening.v1
- subscriptions                                      ← partner.subscription.v1
- latest proposal per newcomer                       ← matching.proposal.v1
- referral views, indexes, funnel, review flags      ← referral.event.v1
Locks and the e-mail retry list are not state: short-lived, or repaired by the next sweep."""

from __future__ import annotations

from dataclasses import dataclass

from services.referrals.domain.records import SigningRecorded
from services.referrals.domain.referral_view import OutOfOrder
from services.referrals.service_layer.ports import CredentialRecords, Flags, Records, SubscriptionRecords, Views
from shared.access import CredentialChange
from shared.consuming import PoisonMessage
from shared.events import (
    AuditRecord,
    BeneficiaryProfile,
    ConsentRecorded,
    MatchingProposal,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
)
from shared.projections import Context, Projection, ProjectionTable
from shared.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_PROPOSAL,
    OPS_AUDIT,
    PARTNER_SUBSCRIPTION,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRALS_CONSENT,
    REFERRALS_CREDENTIAL,
    REFERRALS_SIGNING,
)
from shared.vocabulary import DeclineReason, ReferralEventKind, ReferralStatus


def profile_marker(beneficiary_id: str, version: int) -> str:
    """The 'published' marker of a profile version (version 1 keeps the marker it always had)."""
    return f"profile:{beneficiary_id}" if version == 1 else f"profile:{beneficiary_id}:v{version}"


@dataclass
class ReferralsProjections:
    store: Records
    views: Views
    flags: Flags
    credentials: CredentialRecords
    subscriptions: SubscriptionRecords

    async def keep_credential(self, change: CredentialChange, context: Context) -> None:
        await self.credentials.restore(change)

    async def keep_signing(self, record: SigningRecorded, context: Context) -> None:
        await self.store.save_signing(record.signing)
        await self.store.save_history(record.signing.beneficiary_id, record.history)

    async def keep_consent(self, record: ConsentRecorded, context: Context) -> None:
        await self.store.keep_consent(record)

    async def keep_audit(self, record: AuditRecord, context: Context) -> None:
        """What was disclosed of whom, and who exported a person's data: part of what a person may see."""
        await self.store.keep_audit(context.attributes.id, record)

    async def mark_profile_published(self, profile: BeneficiaryProfile, context: Context) -> None:
        await self.store.mark_published(profile_marker(profile.beneficiary_id, profile.version))

    async def keep_opening(self, opening: ProgrammeOpening, context: Context) -> None:
        await self.store.save_opening(opening)

    async def keep_subscription(self, subscription: PartnerSubscription, context: Context) -> None:
        await self.subscriptions.save(subscription)

    async def keep_latest_proposal(self, proposal: MatchingProposal, context: Context) -> None:
        await self.store.save_latest_proposal(proposal)

    async def project_referral_event(self, event: ReferralEvent, context: Context) -> None:
        """The referral's view and indexes; a partner's 'not eligible' also flags the rule for review."""
        try:
            await self.views.apply(event)
        except OutOfOrder as exc:
            raise PoisonMessage(str(exc)) from exc
        if _flags_a_rule(event):
            await self.flags.flag(event.opening_id, event.referral_id, event.note, event.occurred_at)

    def table(self) -> ProjectionTable:
        return ProjectionTable(
            [
                Projection(REFERRALS_CREDENTIAL.name, CredentialChange, self.keep_credential),
                Projection(REFERRALS_SIGNING.name, SigningRecorded, self.keep_signing),
                Projection(REFERRALS_CONSENT.name, ConsentRecorded, self.keep_consent),
                Projection(OPS_AUDIT.name, AuditRecord, self.keep_audit),
                Projection(BENEFICIARY_PROFILE.name, BeneficiaryProfile, self.mark_profile_published),
                Projection(PROGRAMME_OPENING.name, ProgrammeOpening, self.keep_opening),
                Projection(PARTNER_SUBSCRIPTION.name, PartnerSubscription, self.keep_subscription),
                Projection(MATCHING_PROPOSAL.name, MatchingProposal, self.keep_latest_proposal),
                Projection(REFERRAL_EVENT.name, ReferralEvent, self.project_referral_event),
            ]
        )


def _flags_a_rule(event: ReferralEvent) -> bool:
    return (
        event.kind is ReferralEventKind.STATUS
        and event.status is ReferralStatus.DECLINED
        and event.decline_reason is DeclineReason.NOT_ELIGIBLE
    )
