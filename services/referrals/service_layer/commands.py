"""What people and schedules ask referrals to do, and the handler of each: the table is the service's
command side (its event side is `entrypoints/consumers.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.referrals.domain.errors import Conflict, InvalidFields
from services.referrals.domain.referral_view import ReferralView
from services.referrals.domain.signing import CirSigningCreate, ContactDetails, SigningDateRules
from services.referrals.service_layer import subscriptions
from services.referrals.service_layer.consent import change_consent
from services.referrals.service_layer.decision_windows import close_due_windows
from services.referrals.service_layer.disclosure import disclose_contact
from services.referrals.service_layer.erasure import RETENTION_ACTOR, due_for_erasure, erase_personal_data
from services.referrals.service_layer.handlers import (
    Clock,
    Publishers,
    amend_profile,
    create_opening,
    record_signing,
    update_opening,
)
from services.referrals.service_layer.keyring import Keyring
from services.referrals.service_layer.lifecycle_handlers import Lifecycle
from services.referrals.service_layer.personal_data import PersonalData, export_personal_data
from services.referrals.service_layer.ports import PartnerMailing, Records, SubscriptionRecords
from shared.contract.events import (
    AuditRecord,
    ConsentChannel,
    ConsentRecorded,
    DecisionWindowClosed,
    PartnerSubscription,
    PoolFilters,
    ProgrammeOpening,
)
from shared.contract.human_text import readable
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralStatus
from shared.messaging.command_bus import Command, CommandBus
from shared.principals import Principal
from shared.webhooks.targets import WebhookTargetPolicy


@dataclass(frozen=True)
class RecordSigning(Command[bool]):
    """A CIR signed: keep it and publish the profile (False: the same signing was already there)."""

    signing: CirSigningCreate
    by: str
    at: datetime


@dataclass(frozen=True)
class AmendProfile(Command[int]):
    """A newcomer's situation changed: record the profile's next version (returns the version now current)."""

    signing: CirSigningCreate
    by: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class CreateOpening(Command[bool]):
    """A partner or an administrator opens seats in a programme (False: that opening already existed)."""

    opening: ProgrammeOpening


@dataclass(frozen=True)
class UpdateOpening(Command[None]):
    """An opening changes: its seats, its rules or its dates."""

    opening: ProgrammeOpening


@dataclass(frozen=True)
class ChangeStatus(Command[ReferralView]):
    """A partner answers, an auditor withdraws: the referral moves, if its lifecycle allows it."""

    referral_id: str
    wanted: ReferralStatus
    actor: str
    decline_reason: DeclineReason | None = None
    note: str | None = None
    started_early: bool = False


@dataclass(frozen=True)
class RecordOutcome(Command[ReferralView]):
    """The partner says where the person stands three months after entering the programme."""

    referral_id: str
    outcome: OutcomeAtThreeMonths
    actor: str


@dataclass(frozen=True)
class ReferByHand(Command[ReferralView]):
    """The auditor refers a newcomer to an opening they chose themselves, with the reason why."""

    beneficiary_id: str
    opening_id: str
    note: str
    actor: str


@dataclass(frozen=True)
class ChooseInstead(Command[ReferralView]):
    """The person prefers another of the openings proposed to them: it is referred at once, and the
    referral under way is withdrawn with the reason « choix de la personne » (its seat goes back)."""

    beneficiary_id: str
    opening_id: str
    actor: str


PERSONS_CHOICE = "choix de la personne"
UNDER_WAY = (ReferralStatus.PROPOSED, ReferralStatus.SENT, ReferralStatus.WAITLISTED)


@dataclass(frozen=True)
class Subscribe(Command[tuple[PartnerSubscription, str | None]]):
    """A partner's pool subscription (and, with a webhook, its signing secret, shown once)."""

    partner_id: str
    filters: PoolFilters
    kafka: bool
    webhook_url: str | None


@dataclass(frozen=True)
class Unsubscribe(Command[None]):
    """A partner stops one of its pool subscriptions."""

    partner_id: str
    subscription_id: str


@dataclass(frozen=True)
class DiscloseContact(Command[ContactDetails]):
    """The partner that accepted a consenting newcomer reads their contact details (audited)."""

    view: ReferralView
    partner: Principal


@dataclass(frozen=True)
class ChangeConsent(Command[ConsentRecorded]):
    """The newcomer gives, narrows or withdraws consent: a new version, in effect at once."""

    beneficiary_id: str
    contact_with_accepting_partner: bool
    candidate_pools: bool
    pool_programmes: list[str] | None
    channel: ConsentChannel
    by: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class ExportPersonalData(Command[PersonalData]):
    """Everything held about one person, for them (audited)."""

    beneficiary_id: str
    by: str
    at: datetime


@dataclass(frozen=True)
class ErasePersonalData(Command[AuditRecord]):
    """The person asks to be forgotten: their key is destroyed, their records go (audited)."""

    beneficiary_id: str
    by: str
    at: datetime
    channel: ConsentChannel


@dataclass(frozen=True)
class SweepRetention(Command[list[str]]):
    """Erase the people kept past the retention period after their last referral closed (returns who)."""

    moment: datetime


@dataclass(frozen=True)
class SweepDeadlines(Command[tuple[list[str], list[str]]]):
    """Remind partners of answers due soon, expire those overdue (returns both lists of referral ids)."""

    moment: datetime


@dataclass(frozen=True)
class CloseDecisionWindows(Command[list[DecisionWindowClosed]]):
    """Hand every referral whose decision window has closed by `moment` to matching, to be re-solved."""

    moment: datetime


@dataclass(frozen=True)
class RetryPartnerMail(Command[int]):
    """Send again the partners' e-mails a failing relay refused (returns how many went out)."""


def _note(value: str | None) -> str | None:
    """A note people wrote, as it may be kept (NFC, readable); a 422 on `note` otherwise, whatever the door."""
    if value is None:
        return None
    try:
        return readable(value, multiline=True)
    except ValueError as exc:
        raise InvalidFields([(("note",), str(exc))]) from exc


def referrals_commands(
    store: Records,
    publishers: Publishers,
    lifecycle: Lifecycle,
    subscription_records: SubscriptionRecords,
    clock: Clock,
    signing_dates: SigningDateRules,
    webhook_targets: WebhookTargetPolicy,
    keyring: Keyring,
    retention_months: int,
    mail: PartnerMailing,
) -> CommandBus:
    async def record(c: RecordSigning) -> bool:
        return await record_signing(c.signing, store, publishers, keyring, c.at.date(), signing_dates, c.by, c.at)

    async def amend(c: AmendProfile) -> int:
        return await amend_profile(
            c.signing, store, publishers, keyring, c.at.date(), signing_dates, c.by, c.at, _note(c.note)
        )

    async def create(c: CreateOpening) -> bool:
        return await create_opening(c.opening, store, publishers)

    async def update(c: UpdateOpening) -> None:
        await update_opening(c.opening, store, publishers)

    async def change(c: ChangeStatus) -> ReferralView:
        return await lifecycle.change_status(
            c.referral_id, c.wanted, c.actor, decline_reason=c.decline_reason, note=_note(c.note),
            started_early=c.started_early,
        )  # fmt: skip

    async def outcome(c: RecordOutcome) -> ReferralView:
        return await lifecycle.record_outcome(c.referral_id, c.outcome, c.actor)

    async def by_hand(c: ReferByHand) -> ReferralView:
        return await lifecycle.refer_by_hand(c.beneficiary_id, c.opening_id, str(_note(c.note)), c.actor)

    async def choose(c: ChooseInstead) -> ReferralView:
        referrals = await lifecycle.views.of_beneficiary(c.beneficiary_id)
        if any(v.status is ReferralStatus.ACCEPTED for v in referrals):
            raise Conflict("accepted already elsewhere: withdraw that referral first, with the partner")
        if any(v.opening_id == c.opening_id and v.status in UNDER_WAY for v in referrals):
            raise Conflict("this opening is the referral under way")
        chosen = await lifecycle.refer_by_hand(c.beneficiary_id, c.opening_id, PERSONS_CHOICE, c.actor)
        for view in referrals:
            if view.status in UNDER_WAY:
                await lifecycle.change_status(view.referral_id, ReferralStatus.WITHDRAWN, c.actor, note=PERSONS_CHOICE)
        return chosen

    async def subscribe(c: Subscribe) -> tuple[PartnerSubscription, str | None]:
        return await subscriptions.subscribe(
            c.partner_id, c.filters, c.kafka, c.webhook_url, publishers.subscriptions, webhook_targets, clock
        )

    async def unsubscribe(c: Unsubscribe) -> None:
        await subscriptions.unsubscribe(
            c.partner_id, c.subscription_id, subscription_records, publishers.subscriptions, clock
        )

    async def disclose(c: DiscloseContact) -> ContactDetails:
        return await disclose_contact(c.view, c.partner, store, publishers.audit, clock)

    async def consent(c: ChangeConsent) -> ConsentRecorded:
        return await change_consent(
            c.beneficiary_id, c.contact_with_accepting_partner, c.candidate_pools, c.pool_programmes, c.channel,
            c.by, c.at, _note(c.note), store, publishers, keyring,
        )  # fmt: skip

    async def export(c: ExportPersonalData) -> PersonalData:
        return await export_personal_data(
            c.beneficiary_id, c.by, c.at, store, lifecycle.views, publishers.audit, keyring
        )

    async def erase(c: ErasePersonalData) -> AuditRecord:
        async with lifecycle.locks.hold(f"erasure:{c.beneficiary_id}"):  # one erasure, whoever asks twice
            return await erase_personal_data(
                c.beneficiary_id, c.by, c.at, c.channel, store, lifecycle.views, keyring, publishers
            )

    async def retention(c: SweepRetention) -> list[str]:
        erased = []
        for beneficiary_id in await due_for_erasure(c.moment, retention_months, store, lifecycle.views):
            try:
                await erase(ErasePersonalData(beneficiary_id, RETENTION_ACTOR, c.moment, ConsentChannel.SYSTEM))
            except Conflict:
                continue  # a referral opened meanwhile: kept, and looked at again next time
            erased.append(beneficiary_id)
        return erased

    async def sweep(c: SweepDeadlines) -> tuple[list[str], list[str]]:
        return await lifecycle.send_reminders(c.moment), await lifecycle.expire_overdue(c.moment)

    async def close_windows(c: CloseDecisionWindows) -> list[DecisionWindowClosed]:
        return await close_due_windows(lifecycle, c.moment)

    async def retry_mail(c: RetryPartnerMail) -> int:
        return await mail.retry_failed()

    return CommandBus(
        {
            CloseDecisionWindows: close_windows, RetryPartnerMail: retry_mail,
            RecordSigning: record, AmendProfile: amend, CreateOpening: create, UpdateOpening: update,
            ChangeStatus: change, RecordOutcome: outcome, ReferByHand: by_hand, Subscribe: subscribe,
            Unsubscribe: unsubscribe, ChooseInstead: choose, DiscloseContact: disclose, ChangeConsent: consent,
            SweepDeadlines: sweep,
            ExportPersonalData: export, ErasePersonalData: erase, SweepRetention: retention,
        }
    )  # fmt: skip
