"""The in-memory fakes the unit tests use behave as the Redis adapters do: the same steps, run against
both, give the same answers. A fake that drifts from its adapter fails here, not silently in a unit test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from services.matching.adapters.batch_state import PendingProfiles
from services.matching.adapters.model_store import ModelStore
from services.matching.adapters.newcomers import ProfileBook
from services.matching.adapters.seat_ledger import SeatLedger
from services.matching.domain.seats import SeatMove
from services.matching.domain.success_model import prior_model
from services.matching.service_layer.history import TrainingReport
from services.notifications.adapters.consent_view import ConsentView, ReferralIndex
from services.notifications.adapters.delivery_log import DeliveryLog
from services.notifications.adapters.subscriptions_view import SubscriptionsView
from services.notifications.adapters.webhook_outbox import WebhookJob, WebhookOutbox
from services.referrals.adapters.personal_keys import PersonalKeyStore
from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.adapters.store import ReferralStore
from services.referrals.domain.records import PersonalKeyIssued
from services.referrals.domain.referral import candidate_summary
from services.referrals.domain.referral_view import OutOfOrder
from services.referrals.domain.signing import CirSigningCreate
from shared.contract.events import (
    AuditRecord,
    ConsentChannel,
    ConsentRecorded,
    PartnerSubscription,
    PoolFilters,
    ReferralEvent,
)
from shared.contract.vocabulary import ReferralStatus
from tests.factories import profile, signing_body
from tests.support import random_ref
from tests.unit.fakes import matching as mf
from tests.unit.fakes import notifications as nf
from tests.unit.fakes import referrals as rf

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Steps = Callable[[Any], Awaitable[list[Any]]]


async def same_answers(steps: Steps, adapter: Any, fake: Any) -> None:
    assert await steps(adapter) == await steps(fake)


async def seat_steps(seats: Any) -> list[Any]:
    o = random_ref("o")
    await seats.set_capacity(o, 2)
    answers: list[Any] = [await seats.hold(o, "a", NOW, DAY), await seats.hold(o, "a", NOW, 2 * DAY)]
    answers += [await seats.hold(o, "b", NOW, 2 * DAY), await seats.hold(o, "c", NOW, DAY)]
    answers += [await seats.available(o, NOW), await seats.available(o, NOW + DAY)]  # a's hold lapsed
    answers += [await seats.confirm(o, "a", NOW + DAY), await seats.confirm(o, "c", NOW + DAY)]
    answers += [await seats.hold(o, "c", NOW + DAY, DAY), await seats.confirm(o, "c", NOW + DAY)]
    answers += [await seats.confirmed_on_any([o], "a"), await seats.release(o, "b"), await seats.release(o, "b")]
    await seats.restore_hold(o, "d", NOW + 3 * DAY)
    await seats.restore_hold(o, "c", NOW + 3 * DAY)  # confirmed already: nothing to put back
    answers += [await seats.available(o, NOW + DAY), await seats.capacity(o)]
    x = random_ref("x")
    await seats.set_capacity(x, 1)
    await seats.hold(x, "e", NOW, DAY)
    moves = [SeatMove("d", o, None, NOW + DAY), SeatMove("e", x, o, NOW + DAY), SeatMove("f", None, x, NOW + DAY)]
    moved = [(h.opening_id == o, h.holder, h.expires_at) if h else None for h in await seats.move_holds(moves, NOW)]
    return [(h.holder, h.expires_at) if h else None for h in answers[:4]] + answers[4:] + moved


async def profile_steps(book: Any) -> list[Any]:
    people = [profile() for _ in range(4)]
    for k, person in enumerate(people):
        await book.remember(person, NOW + k * timedelta(hours=1))
    await book.remember(people[0], NOW + timedelta(hours=9))  # a new version: the arrival stays
    index = {p.beneficiary_id: k for k, p in enumerate(people)}
    recent = await book.recent(2, leaving_out=frozenset({people[3].beneficiary_id}))
    between = await book.arrived_between(NOW + timedelta(hours=1), NOW + timedelta(hours=3), 2)
    rates = [await book.arrival_rate(NOW + timedelta(hours=4), 28), await book.arrival_rate(NOW + timedelta(days=3), 1)]
    return [[index[p.beneficiary_id] for p in recent], [index[p.beneficiary_id] for p in between], rates]


async def view_steps(views: Any) -> list[Any]:
    person = profile()
    rid = random_ref("r")

    def event(sequence: int, status: ReferralStatus) -> ReferralEvent:
        return ReferralEvent(
            referral_id=rid, beneficiary_id=person.beneficiary_id, opening_id="o-" + rid, partner_id="epide",
            programme="Epide", status=status, occurred_at=NOW + sequence * DAY, sequence=sequence, actor="t",
            candidate=candidate_summary(person, NOW.date()), respond_by=NOW + 7 * DAY,
        )  # fmt: skip

    answers: list[Any] = [
        await views.apply(event(1, ReferralStatus.PROPOSED)),
        await views.apply(event(1, ReferralStatus.PROPOSED)),
    ]
    with pytest.raises(OutOfOrder):
        await views.apply(event(3, ReferralStatus.ENROLLED))
    answers += [rid in await views.due_before(NOW + 8 * DAY), rid in await views.due_before(NOW + 6 * DAY)]
    answers.append(await views.active_on("o-" + rid))
    answers.append(await views.apply(event(2, ReferralStatus.DECLINED)))
    answers += [rid in await views.due_before(NOW + 8 * DAY), await views.active_on("o-" + rid)]
    answers += [[v.status for v in await views.of_beneficiary(person.beneficiary_id)]]
    answers.append([v.referral_id == rid for v in await views.of_partner("epide", ReferralStatus.DECLINED)])
    answers.append((await views.funnel()).get("Epide", {}).get("proposed", 0) > 0)
    return answers


async def pending_steps(pending: Any) -> list[Any]:
    first, second = profile(), profile()
    await pending.add(first, NOW + DAY)
    await pending.add(second, NOW + 3 * DAY)
    await pending.refresh(first.model_copy(update={"version": 2}))
    await pending.refresh(profile())  # not pending: nothing happens
    third = profile()
    await pending.add(third, NOW + 4 * DAY)
    names = {first.beneficiary_id: "first", second.beneficiary_id: "second", third.beneficiary_id: "third"}
    latest = sorted(names[p.beneficiary_id] for p in await pending.live(NOW, limit=2))  # the holds granted last
    live = sorted((names.get(p.beneficiary_id, "other"), p.version) for p in await pending.live(NOW + 2 * DAY))
    await pending.refresh(second.model_copy(update={"version": 2}))  # after a read: not answered from the last one
    again = sorted((names.get(p.beneficiary_id, "other"), p.version) for p in await pending.live(NOW + 2 * DAY))
    return [latest, live, again]


async def model_steps(models: Any) -> list[Any]:
    artefact = TrainingReport(prior_model(), 0, 0, "prior").artefact(version=2, outcomes=50, at=NOW)
    answers = [await models.version(), await models.keep(artefact), await models.keep(artefact)]
    answers += [await models.keep(artefact.model_copy(update={"version": 1})), await models.version()]
    answers.append((await models.latest()) == artefact)
    return answers


async def subscription_steps(view: Any) -> list[Any]:
    s = PartnerSubscription(
        subscription_id=random_ref("s"), partner_id=random_ref("p"), filters=PoolFilters(), changed_at=NOW
    )
    await view.upsert(s)
    await view.count_anonymous(s.subscription_id, "r1")
    await view.count_anonymous(s.subscription_id, "r1")
    await view.count_anonymous(s.subscription_id, "r2")
    answers = [await view.anonymous(s.subscription_id), s in await view.active()]
    await view.upsert(s.model_copy(update={"active": False}))
    return [*answers, s.subscription_id in {a.subscription_id for a in await view.active()}]


async def outbox_steps(outbox: Any) -> list[Any]:
    partner = random_ref("p")
    jobs = [WebhookJob(job_id=random_ref("j"), partner_id=partner, referral_id=f"r{k}", url="https://x.example/in",
                       secret="s", body="{}", created_at=NOW + k * DAY) for k in range(3)]  # fmt: skip
    answers: list[Any] = [await outbox.enqueue(jobs[0], NOW), await outbox.enqueue(jobs[0], NOW)]
    answers += [await outbox.enqueue(jobs[1], NOW + DAY), await outbox.enqueue(jobs[2], NOW + 2 * DAY)]
    due = await outbox.claim_due(NOW + DAY)
    answers += [[j.referral_id for j in due], [j.referral_id for j in await outbox.claim_due(NOW + DAY)]]
    jobs[0].status = "delivered"
    await outbox.save(jobs[0])
    await outbox.save(jobs[1], due=NOW + 5 * DAY)
    answers += [[j.referral_id for j in await outbox.claim_due(NOW + 4 * DAY)]]
    answers += [
        [(j.referral_id, j.status) for j in await outbox.log_of(partner)],
        (await outbox.get(jobs[0].job_id)).status,
    ]
    return answers


async def test_the_seat_ledger_fake_answers_as_the_lua_scripts(private_redis: Redis) -> None:
    await same_answers(seat_steps, SeatLedger(private_redis, prefix=random_ref("seats")), mf.FakeSeats())


async def test_the_profile_book_fake_orders_arrivals_as_redis(private_redis: Redis) -> None:
    await same_answers(profile_steps, ProfileBook(private_redis, key=random_ref("profiles")), mf.FakeProfiles())


async def test_the_referral_views_fake_answers_as_the_redis_views(private_redis: Redis) -> None:
    await same_answers(view_steps, ReferralViews(private_redis), rf.FakeViews())


async def test_the_pending_batch_fake_answers_as_redis(private_redis: Redis) -> None:
    await same_answers(pending_steps, PendingProfiles(private_redis, key=random_ref("pending")), mf.FakePending())


async def test_the_model_store_fake_keeps_only_newer_versions_as_redis_does(private_redis: Redis) -> None:
    await same_answers(model_steps, ModelStore(private_redis, key=random_ref("model")), mf.FakeModels())


async def test_the_pool_subscriptions_fake_counts_as_redis(private_redis: Redis) -> None:
    await same_answers(
        subscription_steps, SubscriptionsView(private_redis, key=random_ref("subs")), nf.FakePoolSubscriptions()
    )


async def test_the_webhook_outbox_fake_schedules_as_redis(private_redis: Redis) -> None:
    await same_answers(outbox_steps, WebhookOutbox(private_redis), nf.FakeOutbox())


def consent_record(beneficiary_id: str, version: int, pools: bool) -> ConsentRecorded:
    return ConsentRecorded(
        beneficiary_id=beneficiary_id, version=version, contact_with_accepting_partner=True, candidate_pools=pools,
        recorded_at=NOW + version * DAY, recorded_by="auditor:test", channel=ConsentChannel.IN_PERSON,
    )  # fmt: skip


async def consent_steps(view: Any) -> list[Any]:
    person = random_ref("b")
    answers = [await view.get(person)]
    for version, pools in ((2, False), (1, True), (2, False), (3, True)):  # a late version 1 changes nothing
        await view.keep(consent_record(person, version, pools))
        answers.append((await view.get(person)).version)
    return answers


async def referral_index_steps(index: Any) -> list[Any]:
    person = random_ref("b")
    await index.remember(person, "r2", "epide", "Epide")
    await index.remember(person, "r1", "afpa", "HOPE métiers")
    await index.remember(person, "r1", "afpa", "HOPE métiers")
    return [await index.of_beneficiary(person), await index.of_beneficiary(random_ref("nobody"))]


async def delivery_steps(log: Any) -> list[Any]:
    referral = random_ref("r")
    await log.record_delivery("epide", referral, "e1")
    await log.record_delivery("ft-67", referral, "e2")
    await log.record_delivery("ft-67", referral, "e2")
    return [await log.delivered_to(referral), await log.was_delivered("ft-67", referral), await log.delivered_to("x")]


async def consent_history_steps(store: Any) -> list[Any]:
    person = random_ref("b")
    for version in (2, 1, 2):
        await store.keep_consent(consent_record(person, version, version == 1))
    return [[(c.version, c.candidate_pools) for c in await store.consents(person)], await store.consents("nobody")]


async def test_the_consent_view_fake_keeps_the_newest_as_redis(private_redis: Redis) -> None:
    await same_answers(consent_steps, ConsentView(private_redis), nf.FakeConsents())


async def test_the_referral_index_fake_answers_as_redis(private_redis: Redis) -> None:
    await same_answers(referral_index_steps, ReferralIndex(private_redis), nf.FakeReferrals())


async def test_the_delivery_log_fake_answers_as_redis(private_redis: Redis) -> None:
    await same_answers(delivery_steps, DeliveryLog(private_redis), nf.FakeDeliveries())


async def test_the_consent_records_fake_keeps_every_version_as_redis(private_redis: Redis) -> None:
    await same_answers(consent_history_steps, ReferralStore(private_redis), rf.FakeRecords())


async def erasure_steps(store: Any) -> list[Any]:
    """A person erased loses signing, versions, consent and audit; another person keeps theirs."""
    erased, kept = random_ref("b"), random_ref("b")
    for person in (erased, kept):
        await store.keep_signing(CirSigningCreate.model_validate(signing_body(beneficiary_id=person)), [])
        await store.keep_consent(consent_record(person, 1, True))
        await store.keep_audit(random_ref("e"), AuditRecord(actor="a", action="x", subject=person, at=NOW))
    erasure = AuditRecord(actor="auditor:t", action="personal_data_erased", subject=erased, at=NOW + DAY)
    answers = [await store.erasure_of(erased)]
    await store.forget_person(erasure)
    await store.forget_person(erasure)  # once more: the same
    for person in (erased, kept):
        signing = await store.get_signing(person)
        answers.append([signing is None, len(await store.consents(person)), len(await store.audit_of(person))])
    await store.forget_signing(kept)
    kept_erasure, erased_erasure = await store.erasure_of(kept), await store.erasure_of(erased)
    return [*answers, await store.get_signing(kept), kept_erasure, erased_erasure and erased_erasure.actor]


async def personal_key_steps(keys: Any) -> list[Any]:
    person = random_ref("b")
    first = PersonalKeyIssued(beneficiary_id=person, key_id="k-a", master_key_id="m1", wrapped_key="w1", issued_at=NOW)
    second = first.model_copy(update={"key_id": "k-b", "wrapped_key": "w2", "issued_at": NOW + DAY})
    answers: list[Any] = [await keys.all_of(person)]
    for record in (second, first, first):
        await keys.keep(record)
    answers.append([k.wrapped_key for k in await keys.all_of(person)])  # oldest first
    await keys.forget(person, "k-a")
    answers.append([k.key_id for k in await keys.all_of(person)])
    await keys.forget(person, "k-b")
    await keys.forget(person, "k-b")
    await keys.keep(first)
    await keys.forget(person)
    return [*answers, await keys.all_of(person)]


async def test_the_erasure_of_the_records_fake_forgets_as_redis(private_redis: Redis) -> None:
    await same_answers(erasure_steps, ReferralStore(private_redis), rf.FakeRecords())


async def test_the_personal_keys_fake_keeps_the_last_as_redis(private_redis: Redis) -> None:
    await same_answers(personal_key_steps, PersonalKeyStore(private_redis), rf.FakePersonalKeys())


async def kept_unless_erased_steps(pair: tuple[Any, Any]) -> list[Any]:
    """Once a person is erased, neither a consent nor a key of theirs is kept again (a replayed record);
    another person's still are."""
    store, keys = pair
    erased, other = random_ref("b"), random_ref("b")
    key = PersonalKeyIssued(beneficiary_id=erased, key_id="k-a", master_key_id="m1", wrapped_key="w1", issued_at=NOW)
    answers = [await store.keep_consent(consent_record(erased, 1, True)), await keys.keep(key)]
    await store.forget_person(AuditRecord(actor="auditor:t", action="personal_data_erased", subject=erased, at=NOW))
    await keys.forget(erased)
    answers += [await store.keep_consent(consent_record(erased, 2, False)), await keys.keep(key)]
    answers += [await store.consents(erased), await keys.all_of(erased)]
    answers += [await store.keep_consent(consent_record(other, 1, True)), len(await store.consents(other))]
    return answers


async def test_the_fakes_keep_nothing_of_an_erased_person_as_redis(private_redis: Redis) -> None:
    records = rf.FakeRecords()
    fake = (records, rf.FakePersonalKeys(erased=records.erased))
    answers = await kept_unless_erased_steps((ReferralStore(private_redis), PersonalKeyStore(private_redis)))

    assert answers == await kept_unless_erased_steps(fake)
    assert answers == [True, True, False, False, [], [], True, 1]
