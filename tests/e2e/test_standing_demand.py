"""Nobody left waiting, on the three services: a newcomer nothing fits at signing is proposed, within
seconds and without anyone touching their file, the opening that fits when it is published; with many
people waiting and two openings published together, nobody holds two seats and the seats go to the best
valued (issue 32, item 1). Each test has its own départements (the stack is shared)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from passerelle.stack import ServiceStack
from shared.contract.events import Eligibility
from tests.e2e.steps import openings_known, referrals_of
from tests.factories import epide_opening, signing_body
from tests.support import eventually


def pool(department: str, seats: int, **fields: Any) -> dict[str, Any]:
    """An opening anyone of 16 or more living in `department` fits (a France Travail pool, say)."""
    rules = Eligibility(min_age=16, departments=[department])
    values: dict[str, Any] = {"programme": "Vivier France Travail", "department": department, "seats": seats,
                              "eligibility": rules}  # fmt: skip
    values.update(fields)
    return epide_opening(**values).model_dump(mode="json")


async def waiting_since(api: httpx.AsyncClient, beneficiary_id: str) -> str:
    async def waits() -> str | None:
        view = (await api.get(f"/v1/beneficiaries/{beneficiary_id}/referrals")).json()
        proposal = view["proposal"]
        return proposal and proposal["held"] is None and proposal["waiting_since"]

    return await eventually(waits, what=f"{beneficiary_id} waiting for a seat")


async def test_a_newcomer_nothing_fits_is_proposed_the_opening_published_later(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    person = signing_body(department="15", birth_date="1981-05-02", mobility="none", french_level="A1")
    assert (await api.post("/v1/cir-signings", json=person)).status_code == 202
    since = await waiting_since(api, person["beneficiary_id"])

    opening = pool("15", seats=1)
    started = time.monotonic()
    assert (await api.post("/v1/openings", json=opening)).status_code == 201
    [referral] = await referrals_of(api, person["beneficiary_id"])
    took = time.monotonic() - started

    assert referral["opening_id"] == opening["opening_id"] and referral["status"] == "sent"
    assert took < 10, f"proposed {took:.1f} s after the opening was published"
    view = (await api.get(f"/v1/beneficiaries/{person['beneficiary_id']}/referrals")).json()
    assert view["proposal"]["waiting_since"] is None and since


async def test_two_openings_published_together_give_no_one_two_seats_and_the_best_valued_go_first(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    levels = ["none", "A1", "A2", "B1", "B2", "C1"]  # French counts in the value of every model shape
    people = [signing_body(department="46", birth_date="1985-03-01", mobility="none", french_level=level)
              for level in levels]  # fmt: skip
    for person in people:
        assert (await api.post("/v1/cir-signings", json=person)).status_code == 202
    for person in people:
        await waiting_since(api, person["beneficiary_id"])
    first, second = pool("46", seats=1), pool("46", seats=1, programme="Formation ferrailleur")
    known = await openings_known(stack)
    answers = await asyncio.gather(api.post("/v1/openings", json=first), api.post("/v1/openings", json=second))
    assert [a.status_code for a in answers] == [201, 201]

    async def both_seats_given() -> list[dict[str, Any]] | None:
        views = [(await api.get(f"/v1/beneficiaries/{p['beneficiary_id']}/referrals")).json() for p in people]
        referred = [r for v in views for r in v["referrals"]]
        return referred if len(referred) >= 2 and await openings_known(stack) >= known + 2 else None

    referred = await eventually(both_seats_given, what="the two seats given to people waiting")
    assert sorted(r["opening_id"] for r in referred) == sorted([first["opening_id"], second["opening_id"]])
    assert len({r["beneficiary_id"] for r in referred}) == 2  # one seat each
    given = {r["beneficiary_id"] for r in referred}
    assert given == {people[-1]["beneficiary_id"], people[-2]["beneficiary_id"]}  # C1 and B1 speak best
