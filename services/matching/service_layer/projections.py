"""Everything matching keeps in Redis, and the event each piece is projected from.

- openings and seat capacities          ← programme.opening.v1
- newcomers' latest profiles            ← beneficiary.profile.v1
- seat holds, newcomers awaiting answer ← matching.proposal.v1 (matching's own decisions, with the
                                          expiry each hold was granted)
- newcomers waiting for a seat, since   ← matching.proposal.v1 (`waiting_since`), and a referral made
                                          by hand (referral.event.v1), which ends the wait
- confirmations, releases, openings tried, holds by hand
                                        ← referral.event.v1, at the moment each happened
- outcomes, for retraining              ← referral.event.v1 (outcome events)
- the latest success model              ← matching.model.v1
The seat prices are not state: the next re-optimisation round recomputes them (every 30 s)."""

from __future__ import annotations

from dataclasses import dataclass

from services.matching.service_layer.history import OutcomeRecord
from services.matching.service_layer.model_check import UnusableModel, adoptable
from services.matching.service_layer.ports import (
    Choices,
    Models,
    Openings,
    Outcomes,
    Pending,
    Profiles,
    Seats,
    Tried,
    WaitingRoom,
)
from services.matching.service_layer.propose import ProposalPolicy
from shared.contract.events import (
    BeneficiaryProfile,
    MatchingProposal,
    ProgrammeOpening,
    ReferralEvent,
    SuccessModelTrained,
)
from shared.contract.lifecycle import CONFIRMS_SEAT, RELEASES_SEAT, SUCCESSFUL_OUTCOMES
from shared.contract.topics import (
    BENEFICIARY_PROFILE,
    MATCHING_MODEL,
    MATCHING_PROPOSAL,
    PROGRAMME_OPENING,
    REFERRAL_EVENT,
)
from shared.contract.vocabulary import ReferralEventKind, ReferralStatus
from shared.messaging.consuming import PoisonMessage
from shared.messaging.projections import Context, Projection, ProjectionTable

UNDER_WAY = frozenset({ReferralStatus.PROPOSED, ReferralStatus.SENT, ReferralStatus.WAITLISTED})


def by_hand(event: ReferralEvent) -> bool:
    return event.actor == "auditor" or event.actor.startswith("auditor:")


@dataclass
class MatchingProjections:
    openings: Openings
    seats: Seats
    profiles: Profiles
    pending: Pending
    tried: Tried
    outcomes: Outcomes
    models: Models
    policy: ProposalPolicy
    waiting: WaitingRoom
    choices: Choices

    async def keep_opening(self, opening: ProgrammeOpening, context: Context) -> None:
        await self.openings.upsert(opening)
        await self.seats.set_capacity(opening.opening_id, opening.seats)

    async def keep_profile(self, profile: BeneficiaryProfile, context: Context) -> None:
        """The latest profile; one awaiting an answer is re-batched with its new version."""
        await self.profiles.remember(profile, context.attributes.time)  # the same live and in a rebuild
        await self.pending.refresh(profile)

    async def keep_seat_held(self, proposal: MatchingProposal, context: Context) -> None:
        """The hold a proposal was granted, until its recorded expiry, and its newcomer in the batch."""
        held = proposal.held
        if held is None:
            return
        await self.seats.restore_hold(held.opening_id, proposal.beneficiary_id, held.expires_at)
        if (profile := await self.profiles.get(proposal.beneficiary_id)) is not None:
            await self.pending.add(profile, held.expires_at)

    async def keep_waiting(self, proposal: MatchingProposal, context: Context) -> None:
        """A newcomer who wanted a seat and got none waits (since the moment the proposal says); one given a
        seat, or placed already, waits no more."""
        if proposal.waiting_since is not None:
            await self.waiting.wait(proposal.beneficiary_id, proposal.waiting_since)
        else:
            await self.waiting.leave(proposal.beneficiary_id)

    async def apply_referral_to_seats(self, event: ReferralEvent, context: Context) -> None:
        """A seat confirmed or released; an opening tried; a seat held for a referral made by hand."""
        if event.kind is not ReferralEventKind.STATUS:
            return
        if event.sequence == 1:  # a new referral, proposed or (no window to wait for) sent at once
            await self.tried.add(event.beneficiary_id, event.opening_id)
            if by_hand(event):  # the matcher held nothing for it: hold a seat if one is left
                await self.waiting.leave(event.beneficiary_id)  # a referral under way: no longer waiting
                opening = await self.openings.get(event.opening_id)
                ttl = self.policy.hold_on(opening) if opening else self.policy.hold_for
                await self.seats.hold(event.opening_id, event.beneficiary_id, context.at, ttl)
        elif event.status in CONFIRMS_SEAT:
            await self.seats.confirm(event.opening_id, event.beneficiary_id, context.at)
        elif event.status in RELEASES_SEAT:
            await self.seats.release(event.opening_id, event.beneficiary_id)

    async def keep_choice(self, event: ReferralEvent, context: Context) -> None:
        """A referral made by hand (the person's choice, or the auditor's) is remembered while it is under
        way; any other status ends it."""
        if event.kind is not ReferralEventKind.STATUS:
            return
        if event.sequence == 1 and by_hand(event) and event.status in UNDER_WAY:
            await self.choices.choose(event.beneficiary_id, event.opening_id)
        elif event.status not in UNDER_WAY:
            await self.choices.clear(event.beneficiary_id, event.opening_id)

    async def keep_outcome(self, event: ReferralEvent, context: Context) -> None:
        """An outcome at three months, once per referral, to learn from (when its profile and opening are
        known)."""
        if event.kind is not ReferralEventKind.OUTCOME or event.outcome is None:
            return
        profile = await self.profiles.get(event.beneficiary_id)
        opening = await self.openings.get(event.opening_id)
        if profile is None or opening is None:
            return
        await self.outcomes.add(
            event.referral_id,
            OutcomeRecord(profile=profile, opening=opening, success=event.outcome in SUCCESSFUL_OUTCOMES),
        )

    async def keep_model(self, artefact: SuccessModelTrained, context: Context) -> None:
        """A new version is kept only if it scores on every path (`model_check.py`); one that does not is
        refused as poison (dead-lettered with the reason, on ops.dlq.v1) and the previous one stays."""
        try:
            adoptable(artefact)
        except UnusableModel as exc:
            raise PoisonMessage(f"modèle v{artefact.version} inutilisable / unusable model: {exc}") from exc
        await self.models.keep(artefact)

    def table(self) -> ProjectionTable:
        return ProjectionTable(
            [
                Projection(PROGRAMME_OPENING.name, ProgrammeOpening, self.keep_opening),
                Projection(BENEFICIARY_PROFILE.name, BeneficiaryProfile, self.keep_profile),
                Projection(MATCHING_PROPOSAL.name, MatchingProposal, self.keep_seat_held),
                Projection(MATCHING_PROPOSAL.name, MatchingProposal, self.keep_waiting),
                Projection(REFERRAL_EVENT.name, ReferralEvent, self.apply_referral_to_seats),
                Projection(REFERRAL_EVENT.name, ReferralEvent, self.keep_choice),
                Projection(REFERRAL_EVENT.name, ReferralEvent, self.keep_outcome),
                Projection(MATCHING_MODEL.name, SuccessModelTrained, self.keep_model),
            ]
        )
