"""Everything referrals keeps in Redis, and the event each piece is projected from.

- partners, API key digests, accounts, revoked links ← referrals.credential.v1 (private)
- the people's keys (wrapped by the master key)      ← referrals.key.v1 (private)
- signings with contact details, profile versions    ← referrals.signing.v1 (private, sealed per person)
- consent records, every version                     ← referrals.consent.v1
- audit records per person (disclosures, exports)    ← ops.audit.v1
- erasures (and the forgetting of the erased)         ← ops.audit.v1
- "profile published" markers                        ← beneficiary.profile.v1
- openings                                           ← programme.opening.v1
- subscriptions                                      ← partner.subscription.v1
- latest proposal per newcomer                       ← matching.proposal.v1
- referral views, indexes, funnel, review flags      ← referral.event.v1
- referrals handed to matching when their window closed ← referral.window.v1
Locks and the e-mail retry list are not state: short-lived, or repaired by the next sweep."""

from __future__ import annotations

from dataclasses import dataclass

from services.referrals.domain.records import (
    PERSONAL_DATA_ERASED,
    PersonalKeyIssued,
    SigningSealed,
    split_key_record_key,
)
from services.referrals.domain.referral_view import OutOfOrder
from services.referrals.domain.sealing import Unreadable
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.ports import CredentialRecords, Flags, Records, SubscriptionRecords, Views
from shared.contract.events import (
    AuditRecord,
    BeneficiaryProfile,
    ConsentRecorded,
    DecisionWindowClosed,
    MatchingProposal,
    PartnerSubscription,
    ProgrammeOpening,
    ReferralEvent,
)
from shared.contract.events.credential import CredentialChange
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_PROPOSAL,
    OPS_AUDIT,
    PARTNER_SUBSCRIPTION,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRAL_WINDOW,
    REFERRALS_CONSENT,
    REFERRALS_CREDENTIAL,
    REFERRALS_KEY,
    REFERRALS_SIGNING,
)
from shared.contract.vocabulary import DeclineReason, ReferralEventKind, ReferralStatus
from shared.messaging.consuming import PoisonMessage
from shared.messaging.projections import Context, Projection, ProjectionTable


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
    keyring: Keyring

    async def keep_credential(self, change: CredentialChange, context: Context) -> None:
        await self.credentials.restore(change)

    async def keep_personal_key(self, record: PersonalKeyIssued, context: Context) -> None:
        await self.keyring.keys.keep(record)  # not once the person was erased

    async def forget_personal_key(self, key: str) -> None:
        beneficiary_id, key_id = split_key_record_key(key)
        if key_id is not None:
            await self.keyring.keys.forget(beneficiary_id, key_id)

    async def keep_signing(self, sealed: SigningSealed, context: Context) -> None:
        """The signing, opened with the person's key; once that key is gone (erased), nothing."""
        try:
            record = await self.keyring.open_signing(sealed)
        except Unreadable as exc:
            raise PoisonMessage(f"the signing of {sealed.beneficiary_id} cannot be opened: {exc}") from exc
        if record is not None:
            await self.store.keep_signing(record.signing, record.history)

    async def forget_signing(self, beneficiary_id: str) -> None:
        await self.store.forget_signing(beneficiary_id)

    async def keep_consent(self, record: ConsentRecorded, context: Context) -> None:
        await self.store.keep_consent(record)  # not once the person was erased

    async def keep_audit(self, record: AuditRecord, context: Context) -> None:
        """What was disclosed of whom, and who exported a person's data: part of what a person may see.
        An erasure forgets the person: their records, their key; and keeps only that it happened. Records
        about accounts and clients (sign-ins, locks, `account:<login>`: no beneficiary id has a colon) stay
        on the topic, for operators, and take no room here."""
        if ":" in record.subject:
            return
        if record.action == PERSONAL_DATA_ERASED:
            await self.store.forget_person(record)
            await self.keyring.keys.forget(record.subject)
        elif await self.store.erasure_of(record.subject) is None:
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
        await project_referral_event(self.views, self.flags, event)

    async def mark_window_closing(self, window: DecisionWindowClosed, context: Context) -> None:
        await self.views.mark_closing([m.referral_id for m in window.members], window.window_id)

    def table(self) -> ProjectionTable:
        return ProjectionTable(
            [
                Projection(REFERRALS_CREDENTIAL.name, CredentialChange, self.keep_credential),
                Projection(REFERRALS_KEY.name, PersonalKeyIssued, self.keep_personal_key, self.forget_personal_key),
                Projection(REFERRALS_SIGNING.name, SigningSealed, self.keep_signing, self.forget_signing),
                Projection(REFERRALS_CONSENT.name, ConsentRecorded, self.keep_consent),
                Projection(OPS_AUDIT.name, AuditRecord, self.keep_audit),
                Projection(BENEFICIARY_PROFILE.name, BeneficiaryProfile, self.mark_profile_published),
                Projection(PROGRAMME_OPENING.name, ProgrammeOpening, self.keep_opening),
                Projection(PARTNER_SUBSCRIPTION.name, PartnerSubscription, self.keep_subscription),
                Projection(MATCHING_PROPOSAL.name, MatchingProposal, self.keep_latest_proposal),
                Projection(REFERRAL_EVENT.name, ReferralEvent, self.project_referral_event),
                Projection(REFERRAL_WINDOW.name, DecisionWindowClosed, self.mark_window_closing),
            ]
        )


async def project_referral_event(views: Views, flags: Flags, event: ReferralEvent) -> None:
    """The referral's view and indexes; a partner's 'not eligible' also flags the rule for review."""
    try:
        await views.apply(event)
    except OutOfOrder as exc:
        raise PoisonMessage(str(exc)) from exc
    if _flags_a_rule(event):
        await flags.flag(event.opening_id, event.referral_id, event.note, event.occurred_at)


def _flags_a_rule(event: ReferralEvent) -> bool:
    return (
        event.kind is ReferralEventKind.STATUS
        and event.status is ReferralStatus.DECLINED
        and event.decline_reason is DeclineReason.NOT_ELIGIBLE
    )
