"""The referral views are written compare-and-set (a script checks the view is still the one read): writers
that race on one referral — the publisher's own projection and the consumer's, two instances — apply each
event once, and the indexes follow the view."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.domain.referral import candidate_summary
from shared.contract.events import ReferralEvent
from shared.contract.vocabulary import ReferralStatus
from tests.factories import profile
from tests.support import random_ref

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def referral_events() -> tuple[ReferralEvent, ReferralEvent]:
    person, rid = profile(), random_ref("r")
    proposed = ReferralEvent(
        referral_id=rid, beneficiary_id=person.beneficiary_id, opening_id="o-" + rid, partner_id="epide",
        programme="Epide", status=ReferralStatus.SENT, occurred_at=NOW, sequence=1, actor="t",
        candidate=candidate_summary(person, NOW.date()), respond_by=NOW + timedelta(days=7),
    )  # fmt: skip
    accepted = proposed.model_copy(
        update={"status": ReferralStatus.ACCEPTED, "sequence": 2, "occurred_at": NOW + timedelta(days=1)}
    )
    return proposed, accepted


async def test_writers_racing_on_one_referral_apply_each_event_once(private_redis: Redis) -> None:
    views = ReferralViews(private_redis)
    sent, accepted = referral_events()
    # The client sends what is issued in one turn together: every writer reads the empty view, one script
    # wins, the others find the view changed, read again and see the event applied.
    assert sorted(await asyncio.gather(*(views.apply(sent) for _ in range(12)))) == [False] * 11 + [True]
    assert sorted(await asyncio.gather(*(views.apply(accepted) for _ in range(12)))) == [False] * 11 + [True]
    view = await views.get(sent.referral_id)
    assert view is not None and view.status is ReferralStatus.ACCEPTED
    assert [v.referral_id for v in await views.of_partner("epide", ReferralStatus.ACCEPTED)] == [sent.referral_id]
    assert await views.of_partner("epide", ReferralStatus.SENT) == []  # moved out of the old status's index
    assert sent.referral_id not in await views.due_before(NOW + timedelta(days=30))  # answered: no deadline
    assert await views.active_on(sent.opening_id) == 1
