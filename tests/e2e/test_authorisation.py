"""Every protected endpoint refuses a request without a key, with another partner's key and with the
wrong role; refusals change nothing; revoked keys stop working at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from passerelle.stack import ServiceStack
from shared.contract.events import Eligibility
from tests.e2e.access import ADMIN, issue_auditor_key, issue_partner_key
from tests.e2e.steps import openings_known
from tests.factories import epide_opening, signing_body
from tests.support import eventually, random_ref


@dataclass
class World:
    client: httpx.AsyncClient
    keys: dict[str, dict[str, str]]  # caller name -> headers
    opening: dict[str, Any]
    referral_id: str
    beneficiary_id: str


@pytest.fixture(scope="module")
async def world(stack: ServiceStack) -> AsyncIterator[World]:
    base_url = stack.url("referrals")
    owner, other = random_ref("own")[:16].lower(), random_ref("oth")[:16].lower()
    keys = {
        "none": {},
        "admin": ADMIN,
        "auditor": {"Authorization": f"Bearer {await issue_auditor_key(base_url)}"},
        "owner": {"Authorization": f"Bearer {await issue_partner_key(base_url, owner)}"},
        "other partner": {"Authorization": f"Bearer {await issue_partner_key(base_url, other)}"},
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        opening = epide_opening(partner_id=owner, department="2B", eligibility=Eligibility(departments=["2B"]))
        known = await openings_known(stack)
        body = opening.model_dump(mode="json")
        assert (await client.post("/v1/openings", json=body, headers=keys["owner"])).status_code == 201

        async def matching_knows_it() -> bool:
            return await openings_known(stack) > known

        await eventually(matching_knows_it, what="the opening in matching")
        signing = signing_body(department="2B", birth_date="2005-01-01")
        assert (await client.post("/v1/cir-signings", json=signing, headers=keys["auditor"])).status_code == 202

        async def referral() -> str | None:
            view = await client.get(f"/v1/beneficiaries/{signing['beneficiary_id']}/referrals", headers=keys["auditor"])
            referrals = view.json()["referrals"]
            return referrals[0]["referral_id"] if referrals else None

        referral_id = await eventually(referral, what="the referral")
        yield World(client, keys, body, referral_id, signing["beneficiary_id"])


def _cases(w: World) -> list[tuple[str, str, dict[str, Any] | None, dict[str, int]]]:
    """(method, path, body, {caller: expected refusal}) for every protected endpoint."""
    rid, oid = w.referral_id, w.opening["opening_id"]
    by_hand = {"beneficiary_id": w.beneficiary_id, "opening_id": oid, "note": "hand"}
    partner_only = {"none": 401, "other partner": 404, "auditor": 403, "admin": 403}
    auditor_only = {"none": 401, "owner": 403, "other partner": 403, "admin": 403}
    admin_only = {"none": 401, "owner": 403, "auditor": 403}
    cases: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
        ("POST", "/v1/openings", w.opening, {"none": 401, "other partner": 403, "auditor": 403, "admin": 403}),
        ("PUT", f"/v1/openings/{oid}", w.opening, {"none": 401, "other partner": 403, "auditor": 403, "admin": 403}),
        ("GET", f"/v1/openings/{oid}/review-flags", None, {"none": 401, "other partner": 404, "admin": 403}),
        ("GET", f"/v1/referrals/{rid}", None, {"none": 401, "other partner": 404, "admin": 403}),
        ("GET", f"/v1/partners/{w.opening['partner_id']}/referrals", None,
         {"none": 401, "other partner": 403, "auditor": 403, "admin": 403}),
        ("POST", f"/v1/referrals/{rid}/decline", {"reason": "not_interested"}, partner_only),
        ("POST", f"/v1/referrals/{rid}/outcome", {"outcome": "employed"}, partner_only),
        ("POST", "/v1/cir-signings", signing_body(), auditor_only),
        ("GET", f"/v1/beneficiaries/{w.beneficiary_id}/referrals", None, auditor_only),
        ("POST", "/v1/referrals", by_hand, auditor_only),
        ("POST", f"/v1/referrals/{rid}/withdraw", {"by": "auditor"}, auditor_only),
        ("GET", "/v1/stats/funnel", None, auditor_only),
        ("POST", "/v1/admin/partners", {"partner_id": "intruder", "name": "Intruder"}, admin_only),
        ("POST", f"/v1/admin/partners/{w.opening['partner_id']}/keys", None, admin_only),
        ("POST", "/v1/admin/auditor-keys", None, admin_only),
        ("DELETE", "/v1/admin/keys/abc", None, admin_only),
    ]  # fmt: skip
    cases.append(("GET", f"/v1/referrals/{rid}/contact", None, partner_only))
    for action in ("accept", "waitlist", "enrol", "complete", "drop-out"):
        cases.append(("POST", f"/v1/referrals/{rid}/{action}", None, partner_only))
    return cases


async def test_every_protected_endpoint_refuses_the_wrong_caller_and_changes_nothing(world: World) -> None:
    refusals = 0
    for method, path, body, expected in _cases(world):
        for caller, code in expected.items():
            response = await world.client.request(method, path, json=body, headers=world.keys[caller])
            assert response.status_code == code, f"{method} {path} as {caller}: {response.status_code} {response.text}"
            refusals += 1
    referral = await world.client.get(f"/v1/referrals/{world.referral_id}", headers=world.keys["owner"])
    assert referral.json()["status"] == "sent" and len(referral.json()["history"]) == 1
    assert refusals >= 70


async def test_public_endpoints_need_no_key(world: World) -> None:
    directories = ("/v1/hsds/services", "/v1/data-inclusion/structures", "/v1/data-inclusion/services")
    for path in ("/v1/openings", f"/v1/openings/{world.opening['opening_id']}", *directories, "/health"):
        assert (await world.client.get(path)).status_code == 200, path


async def test_a_revoked_key_stops_working_and_a_rotated_one_takes_over(world: World, stack: ServiceStack) -> None:
    partner = random_ref("rot")[:16].lower()
    old = await issue_partner_key(stack.url("referrals"), partner)
    new = await issue_partner_key(stack.url("referrals"), partner)
    path = f"/v1/partners/{partner}/referrals"
    assert (await world.client.get(path, headers={"Authorization": f"Bearer {old}"})).status_code == 200

    key_id = old.split("_")[1]
    assert (await world.client.delete(f"/v1/admin/keys/{key_id}", headers=ADMIN)).status_code == 204

    assert (await world.client.get(path, headers={"Authorization": f"Bearer {old}"})).status_code == 401
    assert (await world.client.get(path, headers={"Authorization": f"Bearer {new}"})).status_code == 200
    tampered = new[:-2] + ("aa" if not new.endswith("aa") else "bb")
    assert (await world.client.get(path, headers={"Authorization": f"Bearer {tampered}"})).status_code == 401


async def test_an_auditor_key_of_a_territory_sees_and_records_only_its_own(world: World) -> None:
    """The newcomer of the world lives outside the key's territory: for that key, they do not exist."""
    async with httpx.AsyncClient(base_url=str(world.client.base_url), headers=ADMIN, timeout=10) as admin:
        issued = await admin.post("/v1/admin/auditor-keys", json={"departments": ["2A"]})
        assert issued.status_code == 201, issued.text
    south_corsica = {"Authorization": f"Bearer {issued.json()['api_key']}"}
    client = world.client
    seen = await client.get(f"/v1/beneficiaries/{world.beneficiary_id}/referrals", headers=south_corsica)
    assert seen.status_code == 404
    assert (await client.get(f"/v1/referrals/{world.referral_id}", headers=south_corsica)).status_code == 404
    withdrawn = await client.post(
        f"/v1/referrals/{world.referral_id}/withdraw", json={"by": "auditor"}, headers=south_corsica
    )
    assert withdrawn.status_code == 404
    elsewhere = await client.post("/v1/cir-signings", json=signing_body(department="67"), headers=south_corsica)
    assert elsewhere.status_code == 403 and "territoire" in elsewhere.text
    # The same newcomer is still there for an auditor of the whole country, untouched.
    whole = await client.get(f"/v1/referrals/{world.referral_id}", headers=world.keys["auditor"])
    assert whole.status_code == 200 and whole.json()["status"] != "withdrawn"
