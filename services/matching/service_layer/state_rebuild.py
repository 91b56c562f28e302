"""Rebuilding everything matching keeps in Redis from the topics, after Redis was lost.

- openings and seat capacities  ← programme.opening.v1
- newcomers' profiles           ← beneficiary.profile.v1
- seat holds, confirmations, releases, openings tried, live proposals, outcomes
                                ← matching.proposal.v1 and referral.event.v1, merged by time: a proposal
                                  that held a seat puts the hold back with its recorded expiry; referral
                                  events confirm and release exactly as the live consumer did, at the
                                  moment they happened.
The seat prices are not rebuilt: the next re-optimisation round recomputes them (every 30 s)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka.structs import ConsumerRecord

from services.matching.adapters.batch_state import PendingProfiles
from services.matching.adapters.newcomers import ProfileBook
from services.matching.adapters.openings_view import OpeningsView
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.service_layer.referral_feedback import Feedback
from shared.consuming import PoisonMessage, decode_event
from shared.events import BeneficiaryProfile, MatchingProposal, ProgrammeOpening, ReferralEvent
from shared.events.envelope import Event
from shared.topic_reading import merged_by_time, records_to_end
from shared.topics import BENEFICIARY_PROFILE, MATCHING_PROPOSAL, PROGRAMME_OPENING, REFERRAL_EVENT
from shared.vocabulary import ReferralEventKind

E = TypeVar("E", bound=Event)


@dataclass
class MatchingState:
    openings: OpeningsView
    seats: SeatLedger
    profiles: ProfileBook
    pending: PendingProfiles
    feedback: Feedback


async def rebuild_matching_state(bootstrap: str, state: MatchingState, max_event_bytes: int) -> dict[str, int]:
    counts = {"openings": 0, "profiles": 0, "holds": 0, "referral events": 0, "outcomes": 0, "skipped": 0}

    def decode(model: type[E], record: ConsumerRecord[Any, Any]) -> E | None:
        try:
            event, _ = decode_event(model, record.value or b"", dict(record.headers), max_event_bytes)
        except PoisonMessage:
            counts["skipped"] += 1  # dead-lettered when it was first consumed
            return None
        return event

    async for record in records_to_end(bootstrap, PROGRAMME_OPENING.name):
        if (opening := decode(ProgrammeOpening, record)) is not None:
            await state.openings.upsert(opening)
            await state.seats.set_capacity(opening.opening_id, opening.seats)
            counts["openings"] += 1
    async for record in records_to_end(bootstrap, BENEFICIARY_PROFILE.name):
        if (profile := decode(BeneficiaryProfile, record)) is not None:
            await state.profiles.remember(profile)
            counts["profiles"] += 1

    for record in await merged_by_time(bootstrap, [MATCHING_PROPOSAL.name, REFERRAL_EVENT.name]):
        if record.topic == MATCHING_PROPOSAL.name:
            proposal = decode(MatchingProposal, record)
            if proposal is not None and proposal.held is not None:
                held = proposal.held
                await state.seats.restore_hold(held.opening_id, proposal.beneficiary_id, held.expires_at)
                if (profile := await state.profiles.get(proposal.beneficiary_id)) is not None:
                    await state.pending.add(profile, held.expires_at)
                counts["holds"] += 1
            continue
        event = decode(ReferralEvent, record)
        if event is None:
            continue
        counts["referral events"] += 1
        if event.kind is ReferralEventKind.STATUS:
            await state.feedback.apply_to_seats(event, event.occurred_at)
        elif event.kind is ReferralEventKind.OUTCOME:
            counts["outcomes"] += int(await state.feedback.record_outcome(event))
    if counts["outcomes"]:
        await state.feedback.retrain()
    return counts
