"""A rebuild reads its topics side by side; its progress is reported over all of them, never per topic."""

from __future__ import annotations

from shared.contract.cloudevents import new_attributes
from shared.contract.events import BeneficiaryProfile
from shared.messaging.projections import Context, Projection, ProjectionTable, rebuild_from_log
from tests.factories import profile
from tests.fake_log import MemoryEventLog


async def test_the_progress_of_a_rebuild_counts_every_topic_it_reads() -> None:
    log = MemoryEventLog()
    for topic, count in (("a.profiles", 2), ("b.profiles", 3)):
        for _ in range(count):
            event = profile()
            log.append(topic, event.beneficiary_id, event, new_attributes(event.EVENT_TYPE, "/t"))
    applied: list[str] = []

    async def keep(event: BeneficiaryProfile, context: Context) -> None:
        applied.append(context.topic)

    table = ProjectionTable([Projection("*.profiles", BeneficiaryProfile, keep)])
    reported: list[tuple[int, int]] = []
    counts = await rebuild_from_log(log, table, 1 << 20, lambda done, total: reported.append((done, total)))

    assert counts["read"] == 5 and sorted(applied) == ["a.profiles"] * 2 + ["b.profiles"] * 3
    assert reported[-1] == (5, 5)
    assert [done for done, _ in reported] == sorted(done for done, _ in reported)  # it never goes back
