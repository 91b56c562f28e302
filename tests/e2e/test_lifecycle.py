"""Whole referral lifecycles through the HTTP API, the real broker and the three services, on a stack of
their own whose referrals service has a clock the tests move forward (no sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from passerelle.replay_command import replay_referral_views
from passerelle.stack import ServiceStack
from services.referrals.adapters.referral_views import ReferralViews
from services.referrals.service_layer.erasure import add_months
from shared.contract.events import AuditRecord, Eligibility
from shared.contract.topics import OPS_AUDIT
from shared.messaging.projections import KafkaEventLog
from shared.redis_factory import make_redis
from tests.e2e.access import issue_auditor_key
from tests.e2e.isolated import isolated_stack, referrals_client
from tests.factories import epide_opening, signing_body
from tests.support import collect_records, eventually, random_ref

RETENTION_MONTHS = 24  # the setting's default


@pytest.fixture(scope="module")
def clock_stack() -> Iterator[ServiceStack]:
    with isolated_stack({"TEST_CLOCK": "true", "ENVIRONMENT": "test", "DEADLINE_SWEEP_INTERVAL_S": "3600"}) as stack:
        yield stack


@pytest.fixture
async def api(clock_stack: ServiceStack) -> AsyncIterator[httpx.AsyncClient]:
    async with referrals_client(clock_stack) as client:
        yield client


async def _seats_left(stack: ServiceStack, opening_id: str) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{stack.url('matching')}/seats", params={"opening_id": opening_id})
    return int(response.json()["available"])


async def _open(api: httpx.AsyncClient, stack: ServiceStack, department: str, **overrides: Any) -> dict[str, Any]:
    overrides.setdefault("eligibility", Eligibility(min_age=17, max_age=25, departments=[department]))
    opening = epide_opening(department=department, **overrides).model_dump(mode="json")
    assert (await api.post("/v1/openings", json=opening)).status_code == 201

    async def matching_has_its_seats() -> bool:
        return await _seats_left(stack, opening["opening_id"]) == opening["seats"]

    await eventually(matching_has_its_seats, what="the opening's seats in matching")
    return opening


async def _referrals(api: httpx.AsyncClient, beneficiary_id: str, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        view = (await api.get(f"/v1/beneficiaries/{beneficiary_id}/referrals")).json()
        return view["referrals"] if len(view["referrals"]) >= count else None

    return await eventually(enough, what=f"{count} referral(s) for {beneficiary_id}")


async def _sign(api: httpx.AsyncClient, department: str) -> str:
    body = signing_body(department=department, birth_date="2005-03-14")
    assert (await api.post("/v1/cir-signings", json=body)).status_code == 202
    return str(body["beneficiary_id"])


async def test_a_referral_goes_from_proposal_to_employment_and_the_funnel_shows_it(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    programme = random_ref("Programme")
    opening = await _open(api, clock_stack, "01", programme=programme, seats=3, starts_on=date.today())
    [referral] = await _referrals(api, await _sign(api, "01"), 1)
    rid = referral["referral_id"]
    assert referral["status"] == "sent" and referral["next_step"] == "partner to review and answer"

    for action, status in (("accept", "accepted"), ("enrol", "enrolled"), ("complete", "completed")):
        response = await api.post(f"/v1/referrals/{rid}/{action}")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    outcome = await api.post(f"/v1/referrals/{rid}/outcome", json={"outcome": "employed"})

    assert outcome.status_code == 200
    history = outcome.json()["history"]
    assert [h["status"] for h in history] == ["sent", "accepted", "enrolled", "completed", "completed"]
    assert history[-1]["kind"] == "outcome" and history[-1]["outcome"] == "employed"
    assert {h["actor"] for h in history[1:]} == {f"partner:{opening['partner_id']}"}
    [line] = [f for f in (await api.get("/v1/stats/funnel")).json() if f["programme"] == programme]
    assert (line["proposed"], line["accepted"], line["enrolled"], line["completed"], line["employed"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert line["employment_rate"] == 1.0

    async def seat_given_back() -> bool:  # completing the programme frees the seat for the next cohort
        return await _seats_left(clock_stack, opening["opening_id"]) == 3

    await eventually(seat_given_back, what="the seat released after completion")


async def test_an_illegal_transition_is_a_409_with_the_current_state(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    await _open(api, clock_stack, "02")
    [referral] = await _referrals(api, await _sign(api, "02"), 1)

    response = await api.post(f"/v1/referrals/{referral['referral_id']}/enrol")

    assert response.status_code == 409
    assert response.json()["current_status"] == "sent"
    assert (
        await api.post(f"/v1/referrals/{referral['referral_id']}/outcome", json={"outcome": "none"})
    ).status_code == 409


async def test_a_declined_referral_is_rerouted_to_the_next_best_opening(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    first = await _open(api, clock_stack, "03", target_occupations=["G1602"])
    second = await _open(api, clock_stack, "03")
    [referral] = await _referrals(api, await _sign(api, "03"), 1)
    assert referral["opening_id"] == first["opening_id"]  # the cook fits the kitchen training best

    declined = await api.post(
        f"/v1/referrals/{referral['referral_id']}/decline", json={"reason": "not_interested", "note": "prefers retail"}
    )

    assert declined.status_code == 200 and declined.json()["next_step"] == "referred elsewhere automatically"
    referrals = await _referrals(api, referral["beneficiary_id"], 2)
    assert referrals[1]["opening_id"] == second["opening_id"]
    assert referrals[1]["status"] == "sent"

    async def first_seat_back() -> bool:
        return await _seats_left(clock_stack, first["opening_id"]) == first["seats"]

    await eventually(first_seat_back, what="the declined seat released")


async def test_a_no_capacity_decline_closes_the_opening_and_not_eligible_flags_the_rule(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    full = await _open(api, clock_stack, "04", seats=10)
    [referral] = await _referrals(api, await _sign(api, "04"), 1)

    await api.post(f"/v1/referrals/{referral['referral_id']}/decline", json={"reason": "no_capacity"})

    assert (await api.get(f"/v1/openings/{full['opening_id']}")).json()["seats"] == 0
    other = await _open(api, clock_stack, "05")
    [second] = await _referrals(api, await _sign(api, "05"), 1)
    await api.post(
        f"/v1/referrals/{second['referral_id']}/decline", json={"reason": "not_eligible", "note": "needs A2 first"}
    )
    flags = (await api.get(f"/v1/openings/{other['opening_id']}/review-flags")).json()
    assert flags[0]["referral_id"] == second["referral_id"] and flags[0]["note"] == "needs A2 first"
    missing_note = await api.post(f"/v1/referrals/{second['referral_id']}/decline", json={"reason": "other"})
    assert missing_note.status_code == 422


async def test_an_unanswered_referral_is_reminded_then_expires_and_is_rerouted(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    first = await _open(api, clock_stack, "06", target_occupations=["G1602"], response_days=7)
    second = await _open(api, clock_stack, "06")
    [referral] = await _referrals(api, await _sign(api, "06"), 1)
    rid = referral["referral_id"]
    assert referral["opening_id"] == first["opening_id"]

    await api.put("/v1/ops/clock", params={"days": 5.5})
    reminded = (await api.get(f"/v1/referrals/{rid}")).json()
    await api.put("/v1/ops/clock", params={"days": 2})
    expired = (await api.get(f"/v1/referrals/{rid}")).json()

    assert reminded["status"] == "sent" and reminded["reminded"] is True
    assert reminded["history"][-1]["kind"] == "reminder"
    assert expired["status"] == "expired" and expired["history"][-1]["actor"] == "system"
    referrals = await _referrals(api, referral["beneficiary_id"], 2)
    assert referrals[1]["opening_id"] == second["opening_id"]


async def test_a_withdrawal_releases_the_seat_and_is_not_rerouted(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    opening = await _open(api, clock_stack, "07", seats=1)
    await _open(api, clock_stack, "07")
    [referral] = await _referrals(api, await _sign(api, "07"), 1)

    response = await api.post(f"/v1/referrals/{referral['referral_id']}/withdraw", json={"by": "newcomer"})

    assert response.json()["status"] == "withdrawn"

    async def seat_back() -> bool:
        return await _seats_left(clock_stack, opening["opening_id"]) == 1

    await eventually(seat_back, what="the seat released by the withdrawal")
    view = (await api.get(f"/v1/beneficiaries/{referral['beneficiary_id']}/referrals")).json()
    assert len(view["referrals"]) == 1


async def test_an_auditor_refers_by_hand_with_a_reason_and_partners_list_by_status(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    partner = random_ref("partner")[:20].lower()
    opening = await _open(api, clock_stack, "08", partner_id=partner, eligibility=Eligibility(departments=["09"]))
    beneficiary = await _sign(api, "08")  # not eligible: the matcher would never propose it

    response = await api.post(
        "/v1/referrals",
        json={"beneficiary_id": beneficiary, "opening_id": opening["opening_id"], "note": "moving to 09 next month"},
    )
    again = await api.post(
        "/v1/referrals", json={"beneficiary_id": beneficiary, "opening_id": opening["opening_id"], "note": "again"}
    )

    assert response.status_code == 201, response.text
    assert response.json()["history"][0]["actor"].startswith("auditor:")  # which key (or person) did it
    assert response.json()["reasons"] == ["orientation manuelle : moving to 09 next month"]
    assert again.status_code == 409
    listed = (await api.get(f"/v1/partners/{partner}/referrals", params={"status": "sent"})).json()
    assert [r["referral_id"] for r in listed] == [response.json()["referral_id"]]
    assert (await api.get(f"/v1/partners/{partner}/referrals", params={"status": "accepted"})).json() == []


async def test_the_views_rebuilt_from_the_log_equal_the_live_ones(clock_stack: ServiceStack) -> None:
    infrastructure = clock_stack.infrastructure
    redis = make_redis(infrastructure.redis_url)
    try:
        views = ReferralViews(redis)
        live = await views.snapshot()
        assert live, "the tests above should have left referrals behind"

        report = await replay_referral_views(KafkaEventLog(infrastructure.kafka_bootstrap_servers), redis)

        assert await views.snapshot() == live
        assert report.views == len(live) and report.skipped == 0
        assert report.read >= report.applied >= len(live)
    finally:
        await redis.aclose()


async def test_personal_data_is_erased_when_the_retention_period_after_the_last_referral_ends(
    api: httpx.AsyncClient, clock_stack: ServiceStack
) -> None:
    """Last in this module: it moves the clock two years on, and erases whoever is due."""
    await _open(api, clock_stack, "45")
    closing, other = await _sign(api, "45"), await _sign(api, "45")
    [referral] = await _referrals(api, closing, 1)
    await _referrals(api, other, 1)
    withdrawn = await api.post(f"/v1/referrals/{referral['referral_id']}/withdraw", json={"by": "newcomer"})
    due = add_months(datetime.fromisoformat(withdrawn.json()["updated_at"]), RETENTION_MONTHS)
    now = datetime.fromisoformat((await api.put("/v1/ops/clock")).json()["now"])

    before = await api.put("/v1/ops/clock", params={"hours": (due - now).total_seconds() / 3600 - 1})
    kept = await _export(clock_stack, closing)  # (with a key of the new time: a year's key expired)
    after = await api.put("/v1/ops/clock", params={"hours": 2})

    assert before.status_code == 200 and kept.status_code == 200, (before.text, kept.text)
    assert int(after.json()["erased"]) >= 1, after.text
    gone = await _export(clock_stack, closing)
    assert gone.status_code == 410 and "effacées" in gone.json()["detail"]
    # The other one's referral, still unanswered, expired at the first jump: its retention starts there.
    assert (await _export(clock_stack, other)).status_code == 200
    [erasure] = await collect_records(
        clock_stack.infrastructure.kafka_bootstrap_servers, OPS_AUDIT.name,
        lambda r: r.key == closing.encode() and b"personal_data_erased" in (r.value or b""), want=1,
    )  # fmt: skip
    assert AuditRecord.model_validate_json(erasure.value).actor == "system:retention"


async def _export(stack: ServiceStack, beneficiary_id: str) -> httpx.Response:
    base_url = stack.url("referrals")
    key = await issue_auditor_key(base_url)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as auditor:
        return await auditor.get(f"/v1/beneficiaries/{beneficiary_id}/export")
