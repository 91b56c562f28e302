"""What `make up` loads so that there is something to look at: the seed catalogue, its partners (with the
names they use) and demo accounts for each kind of person. Idempotent: running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from passerelle.catalogue import load_catalogue
from services.referrals.config import DEVELOPMENT_ADMIN_TOKEN

DEMO_PASSWORD = "passerelle-demo-2027"  # the development stack only; production accounts are made by an admin


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    role: str
    partner_id: str | None = None
    directorate: str | None = None
    departments: tuple[str, ...] = ()


DEMO_ACCOUNTS = (
    DemoAccount("auditrice.strasbourg", "Claire Martin", "auditor", None, "DT Strasbourg", ("67", "68")),
    DemoAccount("auditeur.paris", "Karim Benali", "auditor", None, "DT Paris", ("75", "92", "93", "94")),
    DemoAccount("auditeur.rennes", "Yann Le Gall", "auditor", None, "DT Rennes", ("22", "29", "35", "56")),
    DemoAccount("epide.strasbourg", "Sophie Weber", "partner", "epide"),
    DemoAccount("afpa.hope", "Malik Diallo", "partner", "afpa"),
    DemoAccount("envergure", "Julie Bernard", "partner", "envergure"),
    DemoAccount("spie.alsace", "Thomas Klein", "partner", "cea-spie"),
    DemoAccount("france-travail.67", "Nadia Haddad", "partner", "france-travail-67"),
    DemoAccount("exploitation", "Léa Moreau", "ops"),
)


def seed(
    base_url: str,
    admin_token: str = DEVELOPMENT_ADMIN_TOKEN,
    partner_email: str | None = None,
    catalogue: bool = True,
) -> dict[str, int]:
    """Register the catalogue's partners, publish its openings (unless `catalogue` is false: the partners
    and accounts only) and create the demo accounts."""
    admin = {"Authorization": f"Bearer {admin_token}"}
    openings = load_catalogue()
    names = {o.partner_id: o.partner_name or o.partner_id for o in openings}
    counts = {"partners": 0, "openings": 0, "accounts": 0}
    with httpx.Client(base_url=base_url, headers=admin, timeout=15.0) as client:
        keys: dict[str, str] = {}
        for partner_id, name in sorted(names.items()):
            body: dict[str, str] = {"partner_id": partner_id, "name": name[:120]}
            if partner_email:
                body["email"] = partner_email.format(partner_id=partner_id)
            answer = client.post("/v1/admin/partners", json=body)
            if answer.status_code != 409:
                answer.raise_for_status()
                counts["partners"] += 1
            issued = client.post(f"/v1/admin/partners/{partner_id}/keys", json={"valid_days": 1})
            keys[partner_id] = issued.raise_for_status().json()["api_key"]
        for opening in openings if catalogue else []:
            headers = {"Authorization": f"Bearer {keys[opening.partner_id]}"}
            answer = client.post("/v1/openings", json=opening.model_dump(mode="json"), headers=headers)
            if answer.status_code == 201:
                counts["openings"] += 1
            elif answer.status_code not in (200, 409):
                answer.raise_for_status()
        for account in DEMO_ACCOUNTS:
            account_body: dict[str, Any] = {
                "login": account.login,
                "name": account.name,
                "role": account.role,
                "password": DEMO_PASSWORD,
                "partner_id": account.partner_id,
                "directorate": account.directorate,
                "departments": list(account.departments),
            }
            answer = client.post("/v1/admin/accounts", json=account_body)
            if answer.status_code != 409:
                answer.raise_for_status()
                counts["accounts"] += 1
        for key in keys.values():  # the one-day keys were only for publishing the catalogue
            client.delete(f"/v1/admin/keys/{key.split('_')[1]}")
    return counts
