"""Rebuilding everything referrals keeps in Redis from the topics, after Redis was lost.

What comes back, and from where:
- partners and API key digests    ← referrals.credential.v1 (private)
- signings with contact details   ← referrals.signing.v1 (private), with their profile versions
- "profile published" markers     ← beneficiary.profile.v1
- openings                        ← programme.opening.v1
- subscriptions                   ← partner.subscription.v1
- latest proposal per newcomer    ← matching.proposal.v1
- referral views, indexes, funnel ← referral.event.v1 (the projection, applied in order)
- review flags ('not eligible')   ← referral.event.v1
Locks are not rebuilt: they are short-lived by nature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.referrals.adapters.referral_views import OutOfOrder, ReferralViews
from services.referrals.adapters.review_flags import ReviewFlags
from services.referrals.adapters.store import ReferralStore
from services.referrals.adapters.subscriptions import Subscriptions
from services.referrals.domain.records import SigningRecorded
from services.referrals.service_layer.handlers import profile_marker
from shared.access import CredentialChange, Credentials
from shared.consuming import PoisonMessage, decode_event
from shared.events import BeneficiaryProfile, MatchingProposal, PartnerSubscription, ProgrammeOpening, ReferralEvent
from shared.events.envelope import Event
from shared.topic_reading import records_to_end
from shared.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_PROPOSAL,
    PARTNER_SUBSCRIPTION,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
    REFERRALS_CREDENTIAL,
    REFERRALS_SIGNING,
    TopicSpec,
)
from shared.vocabulary import DeclineReason, ReferralEventKind, ReferralStatus


@dataclass
class ReferralsState:
    store: ReferralStore
    views: ReferralViews
    credentials: Credentials
    subscriptions: Subscriptions
    flags: ReviewFlags


async def rebuild_referrals_state(bootstrap: str, state: ReferralsState, max_event_bytes: int) -> dict[str, int]:
    counts: dict[str, int] = {}

    async def each(spec: TopicSpec, model: type[Any], apply: Callable[[Any], Awaitable[Any]]) -> None:
        applied = skipped = 0
        async for record in records_to_end(bootstrap, spec.name):
            try:
                event, _ = decode_event(model, record.value or b"", dict(record.headers), max_event_bytes)
                await apply(event)
                applied += 1
            except (PoisonMessage, OutOfOrder):
                skipped += 1  # dead-lettered when it was first consumed
        counts[spec.name] = applied
        if skipped:
            counts[f"{spec.name} skipped"] = skipped

    async def signing(record: SigningRecorded) -> None:
        await state.store.save_signing(record.signing)
        await state.store.save_history(record.signing.beneficiary_id, record.history)

    async def profile(event: BeneficiaryProfile) -> None:
        await state.store.mark_published(profile_marker(event.beneficiary_id, event.version))

    async def referral(event: ReferralEvent) -> None:
        if await state.views.apply(event) and _flags_a_rule(event):
            await state.flags.flag(event.opening_id, event.referral_id, event.note, event.occurred_at)

    steps: list[tuple[TopicSpec, type[Event], Callable[[Any], Awaitable[Any]]]] = [
        (REFERRALS_CREDENTIAL, CredentialChange, state.credentials.restore),
        (REFERRALS_SIGNING, SigningRecorded, signing),
        (BENEFICIARY_PROFILE, BeneficiaryProfile, profile),
        (PROGRAMME_OPENING, ProgrammeOpening, state.store.save_opening),
        (PARTNER_SUBSCRIPTION, PartnerSubscription, state.subscriptions.save),
        (MATCHING_PROPOSAL, MatchingProposal, state.store.save_latest_proposal),
        (REFERRAL_EVENT, ReferralEvent, referral),
    ]
    for spec, model, apply in steps:
        await each(spec, model, apply)
    return counts


def _flags_a_rule(event: ReferralEvent) -> bool:
    return (
        event.kind is ReferralEventKind.STATUS
        and event.status is ReferralStatus.DECLINED
        and event.decline_reason is DeclineReason.NOT_ELIGIBLE
    )
