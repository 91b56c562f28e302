"""Partners answer, auditors withdraw or refer by hand, deadlines expire: every change is an event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.referrals.domain.decision_window import DecisionWindows
from services.referrals.domain.errors import Conflict, NotFound
from services.referrals.domain.lifecycle import (
    AWAITING_ANSWER,
    OUTCOME_ALLOWED_FROM,
    IllegalTransition,
    NotBeforeStart,
    check_transition,
)
from services.referrals.domain.referral import candidate_summary, referral_id_for
from services.referrals.domain.referral_view import ReferralView, event_from
from services.referrals.service_layer.consent import pools_allowed
from services.referrals.service_layer.handlers import (
    Clock,
    Publishers,
    publish_and_apply,
    response_days,
    update_opening,
)
from services.referrals.service_layer.ports import Locks, Records, Views
from shared.contract.events import MatchingProposal, ReferralEvent
from shared.contract.vocabulary import DeclineReason, OutcomeAtThreeMonths, ReferralEventKind, ReferralStatus

REMINDER_LEAD = timedelta(days=2)
STARTED_EARLY = "[session commencée plus tôt / cohort started early]"


@dataclass
class Lifecycle:
    store: Records
    views: Views
    locks: Locks
    publishers: Publishers
    clock: Clock
    windows: DecisionWindows = field(default_factory=DecisionWindows)

    async def _view(self, referral_id: str) -> ReferralView:
        view = await self.views.get(referral_id)
        if view is None:
            raise NotFound(f"referral {referral_id} does not exist")
        return view

    async def withdraw_superseded(self, proposal: MatchingProposal) -> list[ReferralView]:
        """After an amended profile was matched again: referrals not yet answered on openings the new
        proposal no longer holds (or, when it holds none, no longer ranks) are withdrawn, releasing their
        seats. Idempotent: a redelivered proposal finds them withdrawn already."""
        held = proposal.held
        keep = {held.opening_id} if held is not None else {r.opening_id for r in proposal.ranked}
        withdrawn = []
        for view in await self.views.of_beneficiary(proposal.beneficiary_id):
            if view.status in (ReferralStatus.PROPOSED, ReferralStatus.SENT) and view.opening_id not in keep:
                note = f"profil modifié (version {proposal.profile_version}) : nouvelle proposition"
                try:
                    withdrawn.append(
                        await self.change_status(view.referral_id, ReferralStatus.WITHDRAWN, "matching", note=note)
                    )
                except IllegalTransition:
                    continue  # answered meanwhile: the partner's answer stands
        return withdrawn

    async def change_status(
        self,
        referral_id: str,
        wanted: ReferralStatus,
        actor: str,
        *,
        decline_reason: DeclineReason | None = None,
        note: str | None = None,
        started_early: bool = False,
    ) -> ReferralView:
        async with self.locks.hold(referral_id):
            view = await self._view(referral_id)
            check_transition(referral_id, view.status, wanted)
            if wanted is ReferralStatus.ENROLLED:
                note = await self._check_cohort_started(view, started_early, note)
            now = self.clock()
            respond_by = await self._answer_due(view, now) if wanted is ReferralStatus.SENT else None
            event = ReferralEvent(
                **event_from(view, status=wanted, actor=actor, decline_reason=decline_reason, note=note),
                occurred_at=now,
                reasons=view.reasons,
                respond_by=respond_by,
            )
            after = await publish_and_apply(event, self.views, self.publishers)
        if decline_reason is DeclineReason.NO_CAPACITY:
            await self._close_opening(view.opening_id)
        return after

    async def _answer_due(self, view: ReferralView, now: datetime) -> datetime:
        """The partner's time to answer runs from the moment it receives the referral."""
        opening = await self.store.get_opening(view.opening_id)
        return now + timedelta(days=response_days(opening))

    async def send(self, referral_id: str, note: str | None = None) -> ReferralView | None:
        """Hand a proposed referral to its partner; None when it is no longer proposed (answered, withdrawn
        or sent meanwhile: a redelivery)."""
        try:
            return await self.change_status(referral_id, ReferralStatus.SENT, "system", note=note)
        except IllegalTransition:
            return None

    async def _check_cohort_started(self, view: ReferralView, started_early: bool, note: str | None) -> str | None:
        """Nobody enrols before the cohort starts, unless the partner says it started early and why."""
        opening = await self.store.get_opening(view.opening_id)
        if opening is None or self.clock().date() >= opening.starts_on:
            return note
        if not started_early:
            raise NotBeforeStart(view.referral_id, view.status, opening.starts_on)
        return f"{STARTED_EARLY} {note}"

    async def _close_opening(self, opening_id: str) -> None:
        """The partner has no seat left: the opening's seats become those already taken."""
        opening = await self.store.get_opening(opening_id)
        if opening is None:
            return
        taken = await self.views.active_on(opening_id)
        if taken < opening.seats:
            await update_opening(opening.model_copy(update={"seats": taken}), self.store, self.publishers)

    async def record_outcome(self, referral_id: str, outcome: OutcomeAtThreeMonths, actor: str) -> ReferralView:
        async with self.locks.hold(referral_id):
            view = await self._view(referral_id)
            if view.status not in OUTCOME_ALLOWED_FROM:
                raise IllegalTransition(referral_id, view.status, "an outcome")
            if view.outcome is not None:
                raise Conflict(f"referral {referral_id} already has its outcome ({view.outcome.value})")
            event = ReferralEvent(
                **event_from(view, kind=ReferralEventKind.OUTCOME, actor=actor, outcome=outcome),
                occurred_at=self.clock(),
            )
            return await publish_and_apply(event, self.views, self.publishers)

    async def refer_by_hand(self, beneficiary_id: str, opening_id: str, note: str, actor: str) -> ReferralView:
        """An auditor overrides the matcher; the reason is recorded on the referral."""
        signing = await self.store.get_signing(beneficiary_id)
        if signing is None:
            raise NotFound(f"no CIR signing recorded for {beneficiary_id}")
        opening = await self.store.get_opening(opening_id)
        if opening is None:
            raise NotFound(f"opening {opening_id} does not exist")
        referral_id = referral_id_for(beneficiary_id, opening_id)
        async with self.locks.hold(referral_id):
            if await self.views.get(referral_id) is not None:
                raise Conflict(f"{beneficiary_id} already has a referral to {opening_id}")
            now = self.clock()
            event = ReferralEvent(
                referral_id=referral_id,
                beneficiary_id=beneficiary_id,
                opening_id=opening_id,
                partner_id=opening.partner_id,
                programme=opening.programme,
                status=ReferralStatus.SENT,  # the auditor decided: no window to wait for
                occurred_at=now,
                reasons=[f"orientation manuelle : {note}"[:600]],
                candidate=candidate_summary(
                    signing.profile(),
                    now.date(),
                    await pools_allowed(self.store, beneficiary_id, opening.programme, signing.consent_to_share),
                    opening,
                ),
                actor=actor,
                note=note,
                respond_by=now + timedelta(days=response_days(opening)),
            )
            return await publish_and_apply(event, self.views, self.publishers)

    async def expire_overdue(self, now: datetime) -> list[str]:
        """Referrals past their deadline without an answer expire (and are then re-routed by matching)."""
        expired = []
        for referral_id in await self.views.due_before(now):
            try:
                await self.change_status(referral_id, ReferralStatus.EXPIRED, "system", note="no answer in time")
                expired.append(referral_id)
            except (IllegalTransition, NotFound):
                continue  # answered meanwhile
        return expired

    async def send_reminders(self, now: datetime, lead: timedelta = REMINDER_LEAD) -> list[str]:
        """One reminder event per referral, `lead` before its deadline."""
        reminded = []
        for referral_id in await self.views.due_before(now + lead):
            async with self.locks.hold(referral_id):
                view = await self.views.get(referral_id)
                if view is None or view.reminded or view.status not in AWAITING_ANSWER:
                    continue
                event = ReferralEvent(
                    **event_from(view, kind=ReferralEventKind.REMINDER, actor="system",
                                 note=f"answer due by {view.respond_by:%Y-%m-%d}" if view.respond_by else None),
                    occurred_at=now,
                )  # fmt: skip
                await publish_and_apply(event, self.views, self.publishers)
                reminded.append(referral_id)
        return reminded
