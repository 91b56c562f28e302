import asyncio
import logging

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from passerelle.infrastructure import Infrastructure
from shared.contract.cloudevents import CloudEventAttributes
from shared.contract.events import BeneficiaryProfile
from shared.contract.topics import FIXED_TOPICS, OPS_DLQ, TopicSpec
from shared.messaging.consuming import subscribe
from shared.messaging.dead_letters import DLQ_ERROR_HEADER, DLQ_OFFSET_HEADER, DLQ_TOPIC_HEADER, DeadLetters
from shared.messaging.kafka_admin import ensure_topics
from shared.messaging.kafka_broker import make_broker
from shared.messaging.publishing import EventPublisher
from shared.settings import ServiceSettings
from tests.factories import profile
from tests.support import collect_records, eventually, header, random_ref


async def test_every_contract_topic_exists_with_its_partition_count(infrastructure: Infrastructure) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in FIXED_TOPICS])
    finally:
        await admin.close()
    partitions = {d["topic"]: len(d["partitions"]) for d in described}
    assert partitions == {t.name: t.partitions for t in FIXED_TOPICS}


async def test_poison_goes_to_the_dead_letter_topic_and_the_consumer_carries_on(
    infrastructure: Infrastructure,
) -> None:
    spec, settings = await _topic_and_settings(infrastructure, "it.profiles", 1)
    broker = make_broker(settings, "it")
    handled: list[BeneficiaryProfile] = []

    async def on_profile_published(event: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        handled.append(event)

    subscribe(broker, settings, spec.name, BeneficiaryProfile, on_profile_published, random_ref("group"),
              DeadLetters(broker, "it"))  # fmt: skip
    publisher = EventPublisher(broker, spec, BeneficiaryProfile, "/it", "profiles under test")
    poison_key = random_ref("poison")
    good = profile()
    async with broker:
        await broker.start()
        await broker.publish(
            b"{not json",
            topic=spec.name,
            key=poison_key.encode(),
            headers=_ce_headers(),
        )
        await publisher.publish(good, key=good.beneficiary_id)

        async def the_valid_profile_was_handled() -> bool:
            return any(p.beneficiary_id == good.beneficiary_id for p in handled)

        await eventually(the_valid_profile_was_handled, what="the valid profile after the poison")

    dead = await collect_records(
        infrastructure.kafka_bootstrap_servers,
        OPS_DLQ.name,
        lambda r: r.key == poison_key.encode(),
        want=1,
    )
    assert dead[0].value == b"{not json"
    assert header(dead[0], DLQ_TOPIC_HEADER) == spec.name
    assert header(dead[0], DLQ_OFFSET_HEADER) == "0"
    assert "not valid JSON" in (header(dead[0], DLQ_ERROR_HEADER) or "")
    assert handled == [good]


async def test_a_message_the_handler_keeps_failing_on_is_dead_lettered_after_its_attempts(
    infrastructure: Infrastructure,
) -> None:
    spec, settings = await _topic_and_settings(infrastructure, "it.failing", 1)
    broker = make_broker(settings, "it")
    calls: list[str] = []

    async def on_profile_published(event: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        calls.append(event.beneficiary_id)
        if event.beneficiary_id.startswith("broken"):
            raise RuntimeError("a bug this message always triggers")

    subscribe(broker, settings, spec.name, BeneficiaryProfile, on_profile_published, random_ref("group"),
              DeadLetters(broker, "it"), max_attempts=3)  # fmt: skip
    publisher = EventPublisher(broker, spec, BeneficiaryProfile, "/it", "profiles under test")
    broken, fine = profile(beneficiary_id=random_ref("broken")), profile()
    async with broker:
        await broker.start()
        await publisher.publish(broken, key=broken.beneficiary_id)
        await publisher.publish(fine, key=fine.beneficiary_id)

        async def the_next_message_got_through() -> bool:
            return fine.beneficiary_id in calls

        await eventually(the_next_message_got_through, what="the message after the failing one")

    assert calls.count(broken.beneficiary_id) == 3
    [dead] = await collect_records(
        infrastructure.kafka_bootstrap_servers, OPS_DLQ.name, lambda r: r.key == broken.beneficiary_id.encode(), want=1
    )
    assert "handler failed 3 times: RuntimeError: a bug this message always triggers" in (
        header(dead, DLQ_ERROR_HEADER) or ""
    )


async def test_a_backlog_is_taken_in_batches_each_keys_order_kept_and_only_its_poison_dead_lettered(
    infrastructure: Infrastructure, caplog: pytest.LogCaptureFixture
) -> None:
    """Records written before the consumer starts come in batches: each key's versions are handled in the
    order they were written, partitions side by side, every record once, and the one poison record in the
    middle is dead-lettered alone."""
    spec, settings = await _topic_and_settings(infrastructure, "it.batches", 3)
    keys = [random_ref("k") for _ in range(20)]
    writer = make_broker(settings, "it")
    publisher = EventPublisher(writer, spec, BeneficiaryProfile, "/it", "profiles under test")
    poison_key = random_ref("poison")
    async with writer:
        await writer.start()
        for version in (1, 2, 3):
            for key in keys:
                await publisher.publish(profile(beneficiary_id=key, version=version), key=key)
            if version == 2:
                await writer.publish(b"[1, 2", topic=spec.name, key=poison_key.encode(), headers=_ce_headers())

    reader = make_broker(settings, "it")
    seen: dict[str, list[int]] = {key: [] for key in keys}
    in_flight, most_in_flight = 0, 0

    async def on_profile(event: BeneficiaryProfile, attributes: CloudEventAttributes) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.005)  # a handler that waits on I/O: other partitions' records go meanwhile
        seen[event.beneficiary_id].append(event.version)
        in_flight -= 1

    subscribe(
        reader, settings, spec.name, BeneficiaryProfile, on_profile, random_ref("group"), DeadLetters(reader, "it")
    )
    caplog.set_level(logging.INFO, logger="shared.messaging.consuming")
    async with reader:
        await reader.start()

        async def all_handled() -> bool:
            return sum(len(v) for v in seen.values()) >= 3 * len(keys)

        await eventually(all_handled, what="the 60 profiles of the backlog")

    assert seen == {key: [1, 2, 3] for key in keys}  # in order, once each
    assert most_in_flight > 1, "the partitions of a batch were handled one after the other"
    batches = [r for r in caplog.records if r.getMessage() == "events handled" and r.__dict__["topic"] == spec.name]
    assert max(r.__dict__["events"] for r in batches) > 1, "the backlog was taken one record at a time"
    dead = await collect_records(
        infrastructure.kafka_bootstrap_servers, OPS_DLQ.name, lambda r: r.key == poison_key.encode(), want=1
    )
    assert "not valid JSON" in (header(dead[0], DLQ_ERROR_HEADER) or "")


def _ce_headers() -> dict[str, str]:
    return {
        "ce_id": random_ref("id"),
        "ce_type": BeneficiaryProfile.EVENT_TYPE,
        "ce_source": "/it",
        "ce_time": "2026-11-23T10:00:00+00:00",
        "ce_specversion": "1.0",
    }


async def _topic_and_settings(
    infrastructure: Infrastructure, name: str, partitions: int
) -> tuple[TopicSpec, ServiceSettings]:
    """A topic of the test's own, created, and service settings that retry at once."""
    spec = TopicSpec(random_ref(name).lower(), partitions, "beneficiary id")
    await ensure_topics(infrastructure.kafka_bootstrap_servers, [spec])
    settings = ServiceSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        redis_url=infrastructure.redis_url,
        transient_retry_delay_s=0,
    )
    return spec, settings
