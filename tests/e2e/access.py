"""Test clients authenticate as a real caller would: each request carries the key of the role the API
expects for it — the administrator for /admin and the clock, the partner that owns an opening or a
referral for partner actions, an auditor otherwise. Keys are issued through the admin API on first use.
Refusals (no key, another partner's key, a wrong role) are tested explicitly in test_authorisation.py."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator

import httpx

from services.referrals.config import DEVELOPMENT_ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {DEVELOPMENT_ADMIN_TOKEN}"}
PARTNER_ACTION = re.compile(
    r"^/v1/referrals/([^/]+)/(accept|waitlist|enrol|complete|drop-out|decline|outcome|contact)$"
)
PARTNER_LIST = re.compile(r"^/v1/partners/([^/]+)/")


async def issue_partner_key(base_url: str, partner_id: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=10) as admin:
        registered = await admin.post("/v1/admin/partners", json={"partner_id": partner_id, "name": partner_id})
        assert registered.status_code in (201, 409), registered.text
        issued = await admin.post(f"/v1/admin/partners/{partner_id}/keys")
        assert issued.status_code == 201, issued.text
        return str(issued.json()["api_key"])


async def issue_auditor_key(base_url: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=10) as admin:
        issued = await admin.post("/v1/admin/auditor-keys")
        assert issued.status_code == 201, issued.text
        return str(issued.json()["api_key"])


class ActAs(httpx.Auth):
    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._partner_keys: dict[str, str] = {}
        self._auditor_key: str | None = None

    async def _partner(self, partner_id: str) -> str:
        if partner_id not in self._partner_keys:
            self._partner_keys[partner_id] = await issue_partner_key(self._base_url, partner_id)
        return f"Bearer {self._partner_keys[partner_id]}"

    async def _auditor(self) -> str:
        if self._auditor_key is None:
            self._auditor_key = await issue_auditor_key(self._base_url)
        return f"Bearer {self._auditor_key}"

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        path = request.url.path
        if path.startswith("/v1/admin") or path == "/v1/ops/clock":
            request.headers.update(ADMIN)
        elif path.startswith("/v1/openings") and request.method in ("POST", "PUT") and request.content:
            request.headers["Authorization"] = await self._partner(json.loads(request.content).get("partner_id", "x"))
        elif (match := PARTNER_ACTION.match(path)) is not None:
            async with httpx.AsyncClient(base_url=self._base_url, timeout=10) as lookup:
                found = await lookup.get(
                    f"/v1/referrals/{match.group(1)}", headers={"Authorization": await self._auditor()}
                )
            partner_id = found.json()["partner_id"] if found.status_code == 200 else "nobody-here"
            request.headers["Authorization"] = await self._partner(partner_id)
        elif (match := PARTNER_LIST.match(path)) is not None:
            request.headers["Authorization"] = await self._partner(match.group(1))
        else:
            request.headers["Authorization"] = await self._auditor()
        yield request
