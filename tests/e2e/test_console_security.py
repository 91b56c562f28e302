"""The console against an attacker, in Debian's Chromium on the shared stack (issue 30): a session ends on
the server — a cookie copied before sign-out is dead after it, disabling an account or changing its
password signs its person out everywhere — and another site cannot frame a page."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from passerelle.stack import ServiceStack
from tests.e2e.access import ADMIN
from tests.e2e.browser import assert_accessible, chromium, sign_in
from tests.support import random_ref

PASSWORD = "mot-de-passe-de-test-2027"
SESSION_COOKIE = "passerelle_session"


async def _auditor(base_url: str) -> str:
    login = random_ref("agent")[:30]
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        account = {"login": login, "name": "Agent de test", "role": "auditor", "password": PASSWORD,
                   "departments": ["976"]}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=account)).status_code == 201
    return login


@pytest.fixture
def base_url(stack: ServiceStack) -> str:
    return stack.url("referrals")


async def test_a_session_cookie_copied_before_sign_out_is_dead_after_it(base_url: str) -> None:
    login = await _auditor(base_url)
    async with chromium() as browser:
        person = await browser.new_context()
        page = await person.new_page()
        await sign_in(page, base_url, login, PASSWORD)
        await expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
        copied = [c for c in await person.cookies() if c["name"] == SESSION_COOKIE]
        assert copied and copied[0]["httpOnly"], copied

        thief = await browser.new_context()
        await thief.add_cookies(copied)
        stolen = await thief.new_page()
        await stolen.goto(f"{base_url}/console/auditeur")
        await expect(stolen.get_by_role("heading", name="Mes dossiers")).to_be_visible()  # it works before

        await page.get_by_role("button", name="Se déconnecter").click()
        await expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        await stolen.goto(f"{base_url}/console/auditeur")
        await expect(stolen.get_by_role("heading", name="Connexion")).to_be_visible()  # dead after
        assert stolen.url.startswith(f"{base_url}/connexion")
        await assert_accessible(stolen)


async def test_disabling_an_account_signs_its_person_out_and_keeps_them_out(base_url: str) -> None:
    login = await _auditor(base_url)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, login, PASSWORD)
        await expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
        async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
            disabled = await admin.post(f"/v1/admin/accounts/{login}/disable")
            assert disabled.status_code == 200, disabled.text
            assert disabled.json()["disabled_at"] is not None

        await page.reload()
        await expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        await page.get_by_label("Identifiant").fill(login)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await expect(page.get_by_role("alert")).to_contain_text("Ce compte est désactivé")
        await assert_accessible(page)


async def test_a_new_password_ends_the_sessions_opened_with_the_old_one(base_url: str) -> None:
    login = await _auditor(base_url)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, login, PASSWORD)
        await expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
        async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
            changed = await admin.put(f"/v1/admin/accounts/{login}/password", json={"password": PASSWORD + "-neuf"})
            assert changed.status_code == 204, changed.text
        await page.reload()
        await expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        await sign_in(page, base_url, login, PASSWORD + "-neuf")
        await expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
