"""Decision windows on a stack of their own (daily at 17:00 in Paris, a clock the test moves forward): a
proposal waits, provisional and unseen by its partner; the window's close re-solves the holds together,
may move one to a better opening, and sends; the partner of the first opening never hears of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from passerelle.stack import ServiceStack
from shared.contract.events import Eligibility
from shared.contract.topics import partner_candidates_topic
from tests.e2e.isolated import isolated_stack, referrals_client
from tests.factories import epide_opening, signing_body
from tests.support import collect_records, eventually, random_ref

DEPARTMENT = "46"


@pytest.fixture(scope="module")
def window_stack() -> Iterator[ServiceStack]:
    settings = {
        "TEST_CLOCK": "true", "ENVIRONMENT": "test", "DEADLINE_SWEEP_INTERVAL_S": "3600",
        "DECISION_WINDOW_MINUTES": "1440", "DECISION_WINDOW_OFFSET_MINUTES": "1020",
    }  # fmt: skip
    with isolated_stack(settings) as stack:
        yield stack


@pytest.fixture
async def api(window_stack: ServiceStack) -> AsyncIterator[httpx.AsyncClient]:
    async with referrals_client(window_stack) as client:
        yield client


async def _open(api: httpx.AsyncClient, stack: ServiceStack, partner_id: str, programme: str) -> dict[str, Any]:
    opening = epide_opening(
        partner_id=partner_id, programme=programme, seats=2, department=DEPARTMENT,
        starts_on=date.today() + timedelta(days=90), eligibility=Eligibility(min_age=17, max_age=25),
    ).model_dump(mode="json")  # fmt: skip
    assert (await api.post("/v1/openings", json=opening)).status_code == 201

    async def known_to_matching() -> bool:
        async with httpx.AsyncClient() as client:
            seats = await client.get(f"{stack.url('matching')}/seats", params={"opening_id": opening["opening_id"]})
        return seats.json()["available"] == 2

    await eventually(known_to_matching, what="the opening's seats in matching")
    return opening


async def _referrals(api: httpx.AsyncClient, beneficiary_id: str, wanted: set[str]) -> list[dict[str, Any]]:
    async def reached() -> list[dict[str, Any]] | None:
        found = (await api.get(f"/v1/beneficiaries/{beneficiary_id}/referrals")).json()["referrals"]
        return found if {r["status"] for r in found} >= wanted else None

    return await eventually(reached, what=f"referrals {sorted(wanted)} of {beneficiary_id}")


async def test_a_window_closes_moves_a_provisional_hold_to_a_better_opening_and_sends_only_that_one(
    api: httpx.AsyncClient, window_stack: ServiceStack
) -> None:
    first_partner, better_partner = random_ref("first"), random_ref("better")
    first = await _open(api, window_stack, first_partner, random_ref("Programme"))
    body = signing_body(department=DEPARTMENT, birth_date="2005-03-14")
    better_programme = random_ref("Programme")
    body["preferences"] = {"programmes": [better_programme]}
    assert (await api.post("/v1/cir-signings", json=body)).status_code == 202
    [provisional] = await _referrals(api, body["beneficiary_id"], {"proposed"})
    assert provisional["opening_id"] == first["opening_id"] and provisional["send_by"] is not None
    assert provisional["respond_by"] is None  # no deadline runs while it waits
    assert (await api.get(f"/v1/partners/{first_partner}/referrals")).json() == []  # unseen by the partner

    better = await _open(api, window_stack, better_partner, better_programme)  # opens after the proposal
    moved = await api.put("/v1/ops/clock", params={"days": 1})  # past 17:00: the window closes
    assert moved.status_code == 200 and int(moved.json()["windows_closed"]) >= 1

    history = await _referrals(api, body["beneficiary_id"], {"withdrawn", "sent"})
    by_opening = {r["opening_id"]: r for r in history}
    assert by_opening[first["opening_id"]]["status"] == "withdrawn"
    assert "déplacée vers" in by_opening[first["opening_id"]]["history"][-1]["note"]
    sent = by_opening[better["opening_id"]]
    assert sent["status"] == "sent" and first["opening_id"] in sent["history"][0]["note"]  # the timeline says so

    [entry] = await collect_records(
        window_stack.infrastructure.kafka_bootstrap_servers, partner_candidates_topic(better_partner).name,
        lambda r: r.key == sent["referral_id"].encode(), want=1,
    )  # fmt: skip
    assert entry.value is not None
    listed = (await api.get(f"/v1/partners/{better_partner}/referrals")).json()
    assert [r["referral_id"] for r in listed] == [sent["referral_id"]]
    assert (await api.get(f"/v1/partners/{first_partner}/referrals")).json() == []  # never heard of it
    seen = await api.get(f"/v1/referrals/{provisional['referral_id']}", headers={})
    assert seen.status_code == 200  # the auditor sees both, with the move


async def test_at_the_close_the_newcomer_near_the_rsa_deadline_gets_the_seat_held_for_another(
    api: httpx.AsyncClient, window_stack: ServiceStack
) -> None:
    # Its own département, out of reach of the other test's people (and theirs of it).
    partner, department = random_ref("spie"), "47"
    opening = epide_opening(
        partner_id=partner, programme=random_ref("Programme"), seats=1, department=department,
        starts_on=date.today() + timedelta(days=90), eligibility=Eligibility(min_age=17, departments=[department]),
    ).model_dump(mode="json")  # fmt: skip
    assert (await api.post("/v1/openings", json=opening)).status_code == 201

    async def known_to_matching() -> bool:
        async with httpx.AsyncClient() as client:
            seats = await client.get(
                f"{window_stack.url('matching')}/seats", params={"opening_id": opening["opening_id"]}
            )
        return seats.json()["available"] == 1

    await eventually(known_to_matching, what="the opening's seat in matching")
    local = {"department": department, "mobility": "none", "birth_date": "2004-05-05"}
    fluent = signing_body(**local, french_level="B2")
    assert (await api.post("/v1/cir-signings", json=fluent)).status_code == 202
    [held] = await _referrals(api, fluent["beneficiary_id"], {"proposed"})
    applied = date.today() - timedelta(days=37)  # the 6 weeks of the RSA orientation end in 5 days
    urgent = signing_body(**local, rsa_applicant=True, rsa_applied_on=applied.isoformat())
    assert (await api.post("/v1/cir-signings", json=urgent)).status_code == 202

    async def answered_without_a_seat() -> bool:
        view = (await api.get(f"/v1/beneficiaries/{urgent['beneficiary_id']}/referrals")).json()
        return view["proposal"] is not None and view["referrals"] == []

    await eventually(answered_without_a_seat, what="a proposal without a seat for the later arrival")
    closed = await api.put("/v1/ops/clock", params={"days": 1})
    assert closed.status_code == 200 and int(closed.json()["windows_closed"]) >= 1

    [given] = await _referrals(api, urgent["beneficiary_id"], {"sent"})
    assert given["opening_id"] == opening["opening_id"] and "place attribuée" in given["history"][0]["note"]
    assert given["candidate"]["orient_by"] == (applied + timedelta(weeks=6)).isoformat()
    assert any(r.startswith("à orienter avant le") for r in given["reasons"])
    [withdrawn] = await _referrals(api, fluent["beneficiary_id"], {"withdrawn"})
    assert withdrawn["referral_id"] == held["referral_id"]
    listed = (await api.get(f"/v1/partners/{partner}/referrals")).json()
    assert [r["referral_id"] for r in listed] == [given["referral_id"]]  # it never heard of the first hold


async def test_at_the_close_a_family_held_apart_is_housed_together_in_one_departement(
    api: httpx.AsyncClient, window_stack: ServiceStack
) -> None:
    # Corsica: out of reach of the other tests' people, and they of it.
    near_partner, far_partner = random_ref("hope"), random_ref("welcome")
    household = random_ref("foyer")
    rules = Eligibility(min_age=18)
    near = epide_opening(partner_id=near_partner, programme=random_ref("HOPE"), department="2A", seats=2,
                         offers_housing=True, target_occupations=["K2204"], eligibility=rules,
                         starts_on=date.today() + timedelta(days=90)).model_dump(mode="json")  # fmt: skip
    far_programme = random_ref("Welcome")
    far = epide_opening(partner_id=far_partner, programme=far_programme, department="2B", seats=1,
                        offers_housing=True, target_occupations=["G1602"], eligibility=rules,
                        starts_on=date.today() + timedelta(days=90)).model_dump(mode="json")  # fmt: skip
    for opening in (near, far):
        assert (await api.post("/v1/openings", json=opening)).status_code == 201

    async def known_to_matching() -> bool:
        async with httpx.AsyncClient() as client:
            answers = [await client.get(f"{window_stack.url('matching')}/seats", params={"opening_id": o["opening_id"]})
                       for o in (near, far)]  # fmt: skip
        return [a.json()["available"] for a in answers] == [2, 1]

    await eventually(known_to_matching, what="the housing openings' seats in matching")
    local = {"department": "2A", "mobility": "region", "household_id": household}
    parent = signing_body(**local, birth_date="1990-01-01", occupations=["G1602"],
                          preferences={"programmes": [far_programme]})  # fmt: skip
    other = signing_body(**local, birth_date="1992-01-01", occupations=["A1414"], skills=[])
    held = {}
    for person in (parent, other):
        assert (await api.post("/v1/cir-signings", json=person)).status_code == 202
        [held[person["beneficiary_id"]]] = await _referrals(api, person["beneficiary_id"], {"proposed"})
    assert held[parent["beneficiary_id"]]["opening_id"] == far["opening_id"]  # apart, one by one
    assert held[other["beneficiary_id"]]["opening_id"] == near["opening_id"]

    closed = await api.put("/v1/ops/clock", params={"days": 1})
    assert closed.status_code == 200 and int(closed.json()["windows_closed"]) >= 1

    moved = {r["opening_id"]: r for r in await _referrals(api, parent["beneficiary_id"], {"withdrawn", "sent"})}
    assert moved[far["opening_id"]]["status"] == "withdrawn"
    sent = moved[near["opening_id"]]
    assert sent["status"] == "sent" and any("avec son foyer" in r for r in sent["reasons"])
    [stayed] = await _referrals(api, other["beneficiary_id"], {"sent"})
    assert stayed["opening_id"] == near["opening_id"]
    listed = (await api.get(f"/v1/partners/{near_partner}/referrals")).json()
    assert {r["referral_id"] for r in listed} == {sent["referral_id"], stayed["referral_id"]}
    assert (await api.get(f"/v1/partners/{far_partner}/referrals")).json() == []  # never heard of the first hold
