"""Outcomes reported by partners reach matching and, once there are enough, retrain its model: a new
version published on matching.model.v1, which every instance scores with — real-time proposals and the
batch re-solve alike, and an instance started afterwards too."""

from datetime import UTC, datetime, timedelta

import numpy as np
from redis.asyncio import Redis

from passerelle.synthetic import make_openings, make_population
from services.matching.bootstrap import bootstrap, redis_adapters
from services.matching.config import MatchingSettings
from services.matching.service_layer import live_engine
from services.matching.service_layer.live_engine import reoptimise
from services.matching.service_layer.referral_feedback import RETRAIN_EVERY
from services.referrals.domain.referral import candidate_summary
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening, ReferralEvent, SuccessModelTrained
from shared.contract.topics import MATCHING_MODEL
from shared.contract.vocabulary import OutcomeAtThreeMonths, ReferralEventKind, ReferralStatus
from shared.messaging.projections import ProjectionTable, rebuild_from_log
from tests.fake_log import MemoryEventLog
from tests.support import random_ref
from tests.unit.fakes.harness import SETTINGS

NOW = datetime(2027, 4, 1, tzinfo=UTC)


class Matcher:
    """One matching instance over a shared Redis (the keys under `prefix`) and a shared log, wired by the
    service's own bootstrap."""

    def __init__(self, redis: Redis, prefix: str, log: MemoryEventLog) -> None:
        adapters = redis_adapters(redis, random_ref("instance"), namespace=prefix)
        settings = MatchingSettings.model_validate(SETTINGS)
        wired = bootstrap(
            settings, adapters, lambda entry: log.publisher(entry.topic.name), log, lambda: NOW, lambda t, e: None
        )
        self.openings, self.profiles, self.outcomes = adapters.openings, adapters.profiles, adapters.outcomes
        self.models, self.pending = adapters.models, adapters.pending
        self.table: ProjectionTable = wired.table
        self.live, self.feedback = wired.live, wired.feedback


def outcome_of(person: BeneficiaryProfile, opening: ProgrammeOpening, k: int) -> ReferralEvent:
    return ReferralEvent(
        referral_id=random_ref("r"), beneficiary_id=person.beneficiary_id, opening_id=opening.opening_id,
        partner_id=opening.partner_id, programme=opening.programme, status=ReferralStatus.COMPLETED,
        occurred_at=NOW - timedelta(days=1), candidate=candidate_summary(person, NOW.date()),
        sequence=5, kind=ReferralEventKind.OUTCOME,
        outcome=OutcomeAtThreeMonths.EMPLOYED if k % 3 else OutcomeAtThreeMonths.NONE,
    )  # fmt: skip


async def test_fifty_outcomes_publish_a_learned_model_that_every_instance_uses(redis: Redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    prefix, log = random_ref("learn"), MemoryEventLog()
    rng = np.random.default_rng(11)
    first, second = Matcher(redis, prefix, log), Matcher(redis, prefix, log)
    openings = make_openings(5, rng)
    for opening in openings:
        await first.openings.upsert(opening)
    people = make_population(2 * RETRAIN_EVERY, rng).profiles
    for k, person in enumerate(people):
        await first.profiles.remember(person, datetime.now(UTC))
        event = outcome_of(person, openings[k % len(openings)], k)
        for _ in range(2):  # redelivered: counted once
            await first.table.apply(event, _context(event))
            await first.feedback.reroute_or_retrain(event)

    assert await first.outcomes.count() == 2 * RETRAIN_EVERY
    [artefact_record] = log.events(MATCHING_MODEL.name)  # 25 outcomes are too few to learn from; 50 are not
    artefact = SuccessModelTrained.model_validate_json(artefact_record.value or b"")
    assert artefact.version == 2 and artefact.trained_on == 2 * RETRAIN_EVERY
    assert artefact.source.startswith("learned") and artefact.log_loss is not None

    # The other instance, which handled none of the outcomes, scores with the new version in real time...
    engine = await second.live.current()
    assert engine.model.version == 2 and engine.model.trained_on == 2 * RETRAIN_EVERY
    # ...and its batch re-solve scores with the same one.
    used: list[int] = []
    original = live_engine.MatchingEngine

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, openings, model, today):  # type: ignore[no-untyped-def]
            used.append(model.version)
            super().__init__(openings, model, today)

    monkeypatch.setattr(live_engine, "MatchingEngine", Recording)
    await second.pending.add(people[0], NOW + timedelta(days=3))
    assert await reoptimise(second.live, second.pending, lambda: NOW) == 1
    assert used == [engine.model.version]

    # An instance started later (a restart) uses the latest version at once.
    restarted = Matcher(redis, prefix, log)
    assert (await restarted.live.model()).version == 2
    # After a loss of Redis, the rebuild brings the model back from matching.model.v1.
    async for key in redis.scan_iter(match=f"{prefix}:*"):
        await redis.delete(key)
    counts = await rebuild_from_log(log, restarted.table, 256 * 1024)
    assert counts["keep_model"] == 1
    assert (await Matcher(redis, prefix, log).live.model()).version == 2


def _context(event: ReferralEvent):  # type: ignore[no-untyped-def]
    from shared.contract.cloudevents import new_attributes
    from shared.messaging.projections import Context

    return Context(new_attributes(event.EVENT_TYPE, "/test"), "referral.event.v1", event.beneficiary_id, NOW)
