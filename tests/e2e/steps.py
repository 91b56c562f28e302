"""Steps the e2e tests share: publish an opening and wait for matching to know it, wait for a referral."""

from __future__ import annotations

from typing import Any

import httpx

from passerelle.stack import ServiceStack
from shared.contract.events import Eligibility
from tests.factories import epide_opening
from tests.support import eventually


async def openings_known(stack: ServiceStack) -> int:
    async with httpx.AsyncClient() as client:
        return int((await client.get(f"{stack.url('matching')}/health")).json()["openings_known"])


async def open_opening(
    api: httpx.AsyncClient, stack: ServiceStack, department: str, **overrides: Any
) -> dict[str, Any]:
    """An Epide-like opening only for residents of `department`.

    The e2e tests share one stack, so each test uses a département no other test uses (a shared one lets
    the matcher pick another test's opening)."""
    rules = Eligibility(min_age=17, max_age=25, min_french="A2", max_diploma_level=0, departments=[department])
    opening = epide_opening(department=department, eligibility=rules, **overrides).model_dump(mode="json")
    await publish_opening(api, stack, opening)
    return opening


async def publish_opening(api: httpx.AsyncClient, stack: ServiceStack, opening: dict[str, Any]) -> None:
    """Post a new opening with the partner's client `api`, and wait until matching knows it (a signing
    that reaches matching first is proposed nothing)."""
    known_before = await openings_known(stack)
    response = await api.post("/v1/openings", json=opening)
    assert response.status_code == 201, response.text

    async def matching_knows_it() -> bool:
        return await openings_known(stack) > known_before

    await eventually(matching_knows_it, what=f"opening {opening['opening_id']} in matching's view")


async def referrals_of(api: httpx.AsyncClient, beneficiary_id: str) -> list[dict[str, Any]]:
    async def referred() -> list[dict[str, Any]] | None:
        view = (await api.get(f"/v1/beneficiaries/{beneficiary_id}/referrals")).json()
        return view["referrals"] or None

    return await eventually(referred, what=f"a referral for {beneficiary_id}")
