"""Reading a partner's candidate topic as a partner would: a plain Kafka consumer, no framework."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer

from shared.contract.cloudevents import read_attributes
from shared.contract.events import PartnerCandidateEntry


async def read_partner_entries(
    bootstrap_servers: str,
    topics: list[str],
    expected_referrals: set[str],
    timeout_s: float = 30.0,
) -> dict[str, list[tuple[str, PartnerCandidateEntry]]]:
    """Entries per topic, as (ce_id, entry), read from the start until every expected referral is seen."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[str, list[tuple[str, PartnerCandidateEntry]]] = {topic: [] for topic in topics}
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while not expected_referrals <= seen and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.value is None:  # a tombstone: the person withdrew consent to that pool entry
                        continue
                    attributes = read_attributes(dict(record.headers))
                    entry = PartnerCandidateEntry.model_validate_json(record.value or b"")
                    found[record.topic].append((attributes.id, entry))
                    seen.add(entry.referral_id)
    finally:
        await consumer.stop()
    return found


def read_partner_entries_sync(
    bootstrap_servers: str, topics: list[str], expected_referrals: set[str], timeout_s: float = 30.0
) -> dict[str, list[tuple[str, PartnerCandidateEntry]]]:
    return asyncio.run(read_partner_entries(bootstrap_servers, topics, expected_referrals, timeout_s))
