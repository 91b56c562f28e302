"""What matching decides when a referral moves: a new proposal after a decline or an expiry, and a new
version of the success model once enough outcomes have come in. The seats themselves are projections
(see projections.py)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from services.matching.service_layer.history import OutcomeRecord, learn_from
from services.matching.service_layer.live_engine import LiveEngine
from services.matching.service_layer.model_check import UnusableModel, check_model
from services.matching.service_layer.ports import Models, Outcomes, Profiles, Seats, Tried
from services.matching.service_layer.propose import Clock, ProposalPolicy, propose
from shared.contract.events import MatchingProposal, ReferralEvent, SuccessModelTrained
from shared.contract.lifecycle import REROUTE_AFTER
from shared.contract.topics import MATCHING_MODEL
from shared.contract.vocabulary import ReferralEventKind
from shared.messaging.projections import Publisher

log = logging.getLogger(__name__)
REROUTE_NAMESPACE = uuid.UUID("c7f4b1e2-0d3a-4f5b-8e6c-9a1b2c3d4e5f")
MODEL_NAMESPACE = uuid.UUID("0f6e2d9a-3b1c-4e7f-a5d8-6c4b2a1e9f30")
# One key per version: on the compacted topic, a later record (even one refused as unusable) never
# compacts away a version that was adopted, and a rebuild replays every version, keeping the newest usable.
MODEL_KEY = "success-model-v{version}"
RETRAIN_EVERY = 25


@dataclass
class Feedback:
    seats: Seats
    profiles: Profiles
    tried: Tried
    outcomes: Outcomes
    models: Models
    engine: LiveEngine
    proposals: Publisher
    model_log: Publisher
    clock: Clock
    policy: ProposalPolicy
    history: Sequence[OutcomeRecord] = ()  # the start-up history file, learned from with the outcomes
    report_failure: Callable[[str, str], None] = lambda topic, error: None  # on ops.metrics.v1 (Meter.failed)
    _training: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    async def reroute_or_retrain(self, event: ReferralEvent) -> None:
        """After a decline or an expiry, propose the next-best opening; after an outcome, retrain when a
        new round of outcomes is complete."""
        if event.kind is ReferralEventKind.OUTCOME:
            await self.retrain_if_due()
        elif event.kind is ReferralEventKind.STATUS and event.status in REROUTE_AFTER:
            proposal = await self.reroute(event)
            if proposal is not None:
                await self.proposals.publish(proposal, key=proposal.beneficiary_id, event_id=proposal.proposal_id)

    async def reroute(self, event: ReferralEvent) -> MatchingProposal | None:
        profile = await self.profiles.get(event.beneficiary_id)
        if profile is None:
            log.warning("cannot re-route: profile unknown", extra={"beneficiary_id": event.beneficiary_id})
            return None
        engine = await self.engine.current()
        key = f"{event.referral_id}:{event.sequence}"
        return await propose(
            profile, key, engine, self.seats, self.clock, self.policy,
            exclude=await self.tried.of(event.beneficiary_id),
            proposal_id=str(uuid.uuid5(REROUTE_NAMESPACE, key)),
        )  # fmt: skip

    async def retrain_if_due(self) -> SuccessModelTrained | None:
        """Round n is due once 25n outcomes are in and no version n was published: train on the start-up
        history and the outcomes, publish the model as version n (every instance then scores with it).
        Two instances finishing the same round publish the same version; the first one kept wins. Within
        an instance one round trains at a time: the outcomes of one batch are handled side by side, and
        each would otherwise find the round due and train the same model."""
        async with self._training:
            return await self._retrain_if_due()

    async def _retrain_if_due(self) -> SuccessModelTrained | None:
        count = await self.outcomes.count()
        due = count // RETRAIN_EVERY
        if due == 0 or due <= await self.models.version():
            return None
        report = await asyncio.to_thread(learn_from, [*self.history, *await self.outcomes.all()])
        if not report.learned:
            log.info("success model not retrained", extra={"outcomes": count, "model": report.note})
            return None
        try:
            await asyncio.to_thread(check_model, report.model)
        except UnusableModel as exc:  # never published: every instance scores on with the previous version
            log.error("retrained success model unusable, not published", extra={"version": due, "reason": str(exc)})
            self.report_failure(MATCHING_MODEL.name, f"modèle v{due} non publié / not published: {exc}")
            return None
        artefact = report.artefact(due, count, self.clock())
        key, event_id = MODEL_KEY.format(version=due), str(uuid.uuid5(MODEL_NAMESPACE, str(due)))
        await self.model_log.publish(artefact, key=key, event_id=event_id)
        log.info(
            "success model retrained",
            extra={"version": due, "outcomes": count, "records": report.records, "log_loss": report.log_loss},
        )
        return artefact
