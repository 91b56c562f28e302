"""The console against an attacker, on the shared stack (issue 30). A session ends on the server: a cookie
copied before sign-out is dead after it, disabling an account or changing its password signs its person
out everywhere (Chromium). Another site cannot frame a page (Chromium). Every answer carries the security
headers, personal pages are not cached, no text from the URL is printed as the console's message, no GET
records anything, and a search never puts a name in the URL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from playwright.async_api import Frame, expect

from passerelle.stack import ServiceStack
from tests.e2e.access import ADMIN, issue_auditor_key
from tests.e2e.browser import assert_accessible, chromium, sign_in
from tests.e2e.console_steps import PASSWORD, partner_with_opening, signed_and_referred
from tests.factories import signing_body
from tests.support import eventually, random_ref

SESSION_COOKIE = "passerelle_session"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _auditor(base_url: str, department: str = "976") -> str:
    login = random_ref("agent")[:30]
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        account = {"login": login, "name": "Agent de test", "role": "auditor", "password": PASSWORD,
                   "departments": [department]}  # fmt: skip
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


@asynccontextmanager
async def _signed_in(base_url: str, login: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser-like client signed in as `login`, and its session's CSRF token."""
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as client:
        form = await client.get("/connexion")
        token = CSRF.search(form.text)
        assert token is not None
        answer = await client.post("/connexion", data={"csrf_token": token.group(1), "identifiant": login,
                                                      "mot_de_passe": PASSWORD})  # fmt: skip
        assert answer.status_code == 303, answer.text
        home = await client.get(answer.headers["location"])
        session_token = CSRF.search(home.text)
        assert session_token is not None
        yield client, session_token.group(1)


async def test_another_site_cannot_frame_a_console_page(base_url: str) -> None:
    """A hostile page on the same host (another port: the same site, so the session cookie goes along)
    frames the auditor's page: Chromium refuses to show it."""
    login = await _auditor(base_url)
    hostile = "http://127.0.0.1:9/hostile.html"
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, login, PASSWORD)
        await expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
        framing = f'<!doctype html><title>Gagnez</title><iframe src="{base_url}/console/auditeur"></iframe>'
        await page.route(hostile, lambda route: route.fulfill(content_type="text/html", body=framing))
        await page.goto(hostile)

        async def settled() -> Frame | None:
            framed = [f for f in page.frames if f is not page.main_frame and f.url not in ("", "about:blank")]
            return framed[0] if framed else None

        framed = await eventually(settled, timeout_s=10, what="the framed page to load or be refused")
        await framed.wait_for_load_state()
        assert framed.url.startswith("chrome-error://"), f"Chromium showed {framed.url} in the hostile frame"
        assert "Mes dossiers" not in await framed.content()


async def test_every_answer_carries_the_security_headers_and_personal_pages_are_not_kept(base_url: str) -> None:
    login = await _auditor(base_url)
    async with _signed_in(base_url, login) as (client, _):
        paths = ("/console/auditeur", "/connexion", "/docs", "/ops", "/v1/openings", "/static/console.css")
        answers = {path: await client.get(path) for path in paths}
    for path, answer in answers.items():
        assert answer.status_code == 200, path
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, (path, policy)
        assert "unsafe-inline" not in policy, (path, policy)
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "no-referrer", path
        if not path.startswith("/static/"):
            assert answer.headers["cache-control"] == "no-store", path
    assert "<script>" not in answers["/console/auditeur"].text and "<script>" not in answers["/docs"].text


async def test_a_message_in_the_url_is_never_printed_as_the_consoles_own(base_url: str) -> None:
    login = await _auditor(base_url)
    bait = "Votre compte est suspendu : rappelez le 08 99 00 00 00"
    async with _signed_in(base_url, login) as (client, _):
        for path in ("/console/auditeur", "/connexion"):
            page = await client.get(path, params={"message": bait})
            assert page.status_code == 200
            assert "rappelez le 08 99" not in page.text, path


async def test_no_get_discloses_contact_details_or_records_a_read_out(stack: ServiceStack) -> None:
    """The partner's reading of contact details and the auditor's read-out of a person's data are each
    recorded on the audit trail; a cross-site link (a GET) must make neither happen, a POST with the
    session's token does."""
    base_url = stack.url("referrals")
    await partner_with_opening(stack, "atelier-49", "49")
    case = await signed_and_referred(base_url, "49")
    referral_id, person = case["referral"]["referral_id"], case["signing"]["beneficiary_id"]
    auditor_key = {"Authorization": f"Bearer {await issue_auditor_key(base_url)}"}

    async def recorded(action: str, actor: str) -> int:
        async with httpx.AsyncClient(base_url=base_url, headers=auditor_key, timeout=15) as api:
            export = (await api.get(f"/v1/beneficiaries/{person}/export")).json()
        return sum(a["action"] == action and a["actor"].startswith(actor) for a in export["audit"])

    partner_login = f"atelier-49.{random_ref('p')[-6:]}"
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        body = {"login": partner_login, "name": "Équipe", "role": "partner", "password": PASSWORD,
                "partner_id": "atelier-49"}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=body)).status_code == 201
    async with _signed_in(base_url, partner_login) as (partner, token):
        here = f"/console/partenaire/orientations/{referral_id}"
        assert (await partner.post(f"{here}/accepter", data={"csrf_token": token})).status_code == 303
        shown = await partner.get(here, params={"coordonnees": "1"})
        assert shown.status_code == 200 and "Camara" not in shown.text
        assert await recorded("contact_disclosed", "partner:") == 0
        disclosed = await partner.post(f"{here}/coordonnees", data={"csrf_token": token})
        assert disclosed.status_code == 200 and "Camara" in disclosed.text
        assert disclosed.headers["cache-control"] == "no-store"
        assert await recorded("contact_disclosed", "partner:") == 1

    auditor = await _auditor(base_url, "49")
    async with _signed_in(base_url, auditor) as (client, token):
        data_page = f"/console/auditeur/personnes/{person}/donnees"
        assert (await client.get(data_page)).status_code == 200
        assert await recorded("personal_data_exported", f"auditor:{auditor}") == 0
        read_out = await client.post(data_page, data={"csrf_token": token})
        assert read_out.status_code == 200 and "Camara" in read_out.text
        assert await recorded("personal_data_exported", f"auditor:{auditor}") == 1


async def test_a_search_goes_by_post_and_never_puts_a_name_in_the_url(stack: ServiceStack) -> None:
    base_url = stack.url("referrals")
    auditor_key = {"Authorization": f"Bearer {await issue_auditor_key(base_url)}"}
    body = signing_body(department="50", contact={"given_name": "Mariam", "family_name": "Traoré"})
    async with httpx.AsyncClient(base_url=base_url, headers=auditor_key, timeout=15) as api:
        assert (await api.post("/v1/cir-signings", json=body)).status_code == 202
    auditor = await _auditor(base_url, "50")
    async with _signed_in(base_url, auditor) as (client, token):
        by_url = await client.get("/console/auditeur", params={"q": "zzz-personne"})
        assert body["beneficiary_id"] in by_url.text  # a query in the URL filters nothing
        searched = await client.post("/console/auditeur/recherche", data={"csrf_token": token, "q": "Traoré"})
        assert searched.status_code == 303 and searched.headers["location"] == "/console/auditeur/recherche"
        for _ in range(2):  # the results are a page of their own: Back and a reload show them again
            found = await client.get("/console/auditeur/recherche")
            assert found.status_code == 200 and body["beneficiary_id"] in found.text
        pasted = await client.post(  # a zero-width space pasted with the name is no obstacle
            "/console/auditeur/recherche", data={"csrf_token": token, "q": "traore\u200b MARIAM"}
        )
        assert body["beneficiary_id"] in (await client.get(pasted.headers["location"])).text
        forged = await client.post("/console/auditeur/recherche", data={"q": "Traoré"})
        assert forged.status_code == 403
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as stranger:  # the session is gone: say so
        lost = await stranger.post("/console/auditeur/recherche", data={"q": "Traoré"}, follow_redirects=True)
        assert "Votre session a pris fin avant votre envoi" in lost.text and "Traoré" not in lost.text
