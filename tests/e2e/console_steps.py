"""Steps the console's e2e tests share: a partner of its own with a staff account and an opening matching
knows, a newcomer signed and referred to it, a referral's status as an auditor reads it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from passerelle.stack import ServiceStack
from tests.e2e.access import ADMIN, issue_auditor_key, issue_partner_key
from tests.e2e.steps import publish_opening
from tests.support import eventually, random_ref

PASSWORD = "mot-de-passe-de-test-2027"


async def partner_with_opening(
    stack: ServiceStack, partner_id: str, department: str, email: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A partner of its own, its staff account, and one opening open only to residents of `department`,
    once matching knows it."""
    base_url = stack.url("referrals")
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        body = {"partner_id": partner_id, "name": f"Atelier {department}"} | ({"email": email} if email else {})
        assert (await admin.post("/v1/admin/partners", json=body)).status_code in (201, 409)
        account = {"login": f"{partner_id}.equipe", "name": "Équipe test", "role": "partner", "password": PASSWORD,
                   "partner_id": partner_id}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=account)).status_code in (201, 409)
    key = await issue_partner_key(base_url, partner_id)
    opening = {
        "opening_id": random_ref(f"atelier-{department}"),
        "programme": "Atelier Passerelle",
        "partner_id": partner_id,
        "partner_name": f"Atelier {department}",
        "title": "Atelier de remobilisation",
        "department": department,
        "starts_on": (date.today() - timedelta(days=1)).isoformat(),
        "seats": 5,
        "eligibility": {"departments": [department]},
    } | fields
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {key}"}) as p:
        await publish_opening(p, stack, opening)
    return opening


async def signed_and_referred(base_url: str, department: str, **overrides: Any) -> dict[str, Any]:
    key = await issue_auditor_key(base_url)
    body = {
        "beneficiary_id": random_ref(f"{department}-2026"),
        "birth_date": "1995-05-05",
        "french_level": "A2",
        "department": department,
        "mobility": "none",
        "consent_to_share": True,
        "cir_signed_on": (date.today() - timedelta(days=1)).isoformat(),
        "contact": {"given_name": "Fatou", "family_name": "Camara", "email": "fatou@example.org"},
    } | overrides
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {key}"}) as api:
        assert (await api.post("/v1/cir-signings", json=body)).status_code == 202

        async def referred() -> dict[str, Any] | None:
            view = (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).json()
            return view["referrals"][0] if view["referrals"] else None

        return {"signing": body, "referral": await eventually(referred, what="the referral")}


async def status_of(base_url: str, referral_id: str) -> str:
    key = await issue_auditor_key(base_url)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {key}"}) as api:
        return str((await api.get(f"/v1/referrals/{referral_id}")).json()["status"])
