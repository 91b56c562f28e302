"""The auditor's side of the standing demand, in Chromium: a 45-year-old nothing fits is shown as waiting
for a seat since the day of his signing, with no false remedy under Epide; when a pool that fits him is
published, his page shows the seat held and the chances in words, with nobody touching his file."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import expect

from passerelle.seeding import seed
from passerelle.stack import ServiceStack
from shared.contract.paris_time import paris_today
from tests.e2e.access import ADMIN, issue_auditor_key
from tests.e2e.browser import assert_accessible, chromium, screenshot, sign_in
from tests.e2e.console_steps import PASSWORD, partner_with_opening
from tests.support import eventually, random_ref

DEPARTMENT = "90"  # Territoire de Belfort: no other e2e test uses it


@pytest.fixture(scope="module")
def seeded(stack: ServiceStack) -> ServiceStack:
    seed(stack.url("referrals"), catalogue=False)
    return stack


async def test_the_auditor_sees_since_when_a_newcomer_waits_and_the_seat_that_opens_for_him(
    seeded: ServiceStack,
) -> None:
    base_url = seeded.url("referrals")
    epide = {"min_age": 17, "max_age": 25, "min_french": "A2", "departments": [DEPARTMENT]}
    await partner_with_opening(seeded, "epide-belfort", DEPARTMENT, programme="Epide", eligibility=epide)
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        auditor = {"login": "auditeur.belfort", "name": "Luc Moreau", "role": "auditor", "password": PASSWORD,
                   "directorate": "DT Belfort", "departments": [DEPARTMENT]}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=auditor)).status_code in (201, 409)
    file_number = random_ref(f"{DEPARTMENT}-2026")
    body = {
        "beneficiary_id": file_number, "birth_date": "1981-05-02", "french_level": "A1", "department": DEPARTMENT,
        "mobility": "none", "protection_status": "refugee", "consent_to_share": True,
        "cir_signed_on": date.today().isoformat(),
        "contact": {"given_name": "Karim", "family_name": "Haddad", "email": "karim@example.org"},
    }  # fmt: skip
    key = await issue_auditor_key(base_url)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {key}"}) as api:
        assert (await api.post("/v1/cir-signings", json=body)).status_code == 202

        async def waiting() -> bool:
            proposal = (await api.get(f"/v1/beneficiaries/{file_number}/referrals")).json()["proposal"]
            return bool(proposal and proposal["waiting_since"])

        await eventually(waiting, what="the newcomer waiting for a seat")

    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "auditeur.belfort", PASSWORD)
        await page.goto(f"{base_url}/console/auditeur/personnes/{file_number}")
        today = format_date(paris_today(), format="long", locale="fr_FR")  # the day in France
        await expect(page.locator("#en-attente")).to_contain_text(f"En attente d'une place depuis le {today}")
        why_not = page.locator("section", has=page.get_by_role("heading", name=re.compile("non accessibles")))
        epide_card = why_not.locator("li.carte", has=page.get_by_role("heading", name="Epide", exact=True))
        await expect(epide_card).to_contain_text("25 ans au plus")
        await expect(epide_card.locator(".remede")).to_have_count(0)  # no French course makes him younger
        await assert_accessible(page)
        await screenshot(page, "auditeur-en-attente")

        pool = await partner_with_opening(seeded, "france-travail-belfort", DEPARTMENT,
                                          programme="Vivier France Travail", title="Vivier de candidats")  # fmt: skip
        proposals = page.locator("ol.propositions")

        async def referred() -> bool:
            await page.reload()
            held = await proposals.get_by_text("Place réservée").count() == 1
            return held and await page.locator("table").get_by_text(pool["programme"]).count() > 0

        await eventually(referred, what="the seat held and the referral, on the auditor's page")
        card = proposals.locator("li.carte", has=page.get_by_role("heading", name=re.compile("^Vivier France Travail")))
        await expect(card).to_contain_text("Place réservée")
        await expect(card.locator(".estimation")).to_contain_text(re.compile(r"Chances de réussite estimées : \w+"))
        await expect(card).not_to_contain_text("réussite estimée à")  # said once, in words
        await expect(page.locator("#en-attente")).to_have_count(0)
        await assert_accessible(page)
        await screenshot(page, "auditeur-place-proposee")


async def test_the_auditor_sends_the_proposal_the_person_prefers_in_one_action(seeded: ServiceStack) -> None:
    base_url, here = seeded.url("referrals"), "19"  # Corrèze: no other e2e test uses it
    best = await partner_with_opening(seeded, "atelier-tulle", here, seats=3)
    other = await partner_with_opening(seeded, "ft-tulle", here, programme="Vivier France Travail",
                                       title="Vivier de candidats", seats=3)  # fmt: skip
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        auditor = {"login": "auditrice.tulle", "name": "Anne Roux", "role": "auditor", "password": PASSWORD,
                   "directorate": "DT Limoges", "departments": [here]}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=auditor)).status_code in (201, 409)
    file_number = random_ref(f"{here}-2026")
    body = {
        "beneficiary_id": file_number, "birth_date": "2004-03-01", "french_level": "A1", "department": here,
        "mobility": "none", "consent_to_share": True, "cir_signed_on": date.today().isoformat(),
        "contact": {"given_name": "Yonas", "family_name": "Tesfaye", "email": "yonas@example.org"},
    }  # fmt: skip
    key = await issue_auditor_key(base_url)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {key}"}) as api:
        assert (await api.post("/v1/cir-signings", json=body)).status_code == 202

        async def first_referral() -> dict | None:  # type: ignore[type-arg]
            view = (await api.get(f"/v1/beneficiaries/{file_number}/referrals")).json()
            ranked = view["proposal"] and len(view["proposal"]["ranked"]) == 2
            return view["referrals"][0] if ranked and view["referrals"] else None

        sent = await eventually(first_referral, what="the first referral, with two proposals")
    chosen = other if sent["opening_id"] == best["opening_id"] else best

    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "auditrice.tulle", PASSWORD)
        await page.goto(f"{base_url}/console/auditeur/personnes/{file_number}")
        button = page.get_by_role("button", name=f"Orienter plutôt vers {chosen['programme']} (choix de la personne)")
        await expect(button).to_be_visible()
        await assert_accessible(page)
        await button.click()
        await expect(page.get_by_role("status")).to_contain_text(
            f"Orientation vers {chosen['programme']} envoyée, à la demande de la personne."
        )
        rows = page.locator("table tbody tr")
        await expect(rows.filter(has_text=chosen["programme"])).to_contain_text("Envoyée")
        first_row = rows.filter(has_text=sent["programme"])
        await expect(first_row).to_contain_text("Retirée")
        await expect(page.locator("ol.historique")).to_contain_text("choix de la personne")
        # The seat moved with the choice: the first card no longer says it is held, nor offers itself again.
        first_card = page.locator("ol.propositions li.carte", has=page.get_by_role("heading", name=re.compile(
            f"^{sent['programme']}")))  # fmt: skip
        await expect(first_card).not_to_contain_text("Place réservée")
        await expect(first_card.get_by_role("button")).to_have_count(0)
        chosen_card = page.locator("ol.propositions li.carte", has=page.get_by_role("heading", name=re.compile(
            f"^{chosen['programme']}")))  # fmt: skip
        await expect(chosen_card).to_contain_text("Orientation en cours")
        await assert_accessible(page)
        await screenshot(page, "auditeur-choix-de-la-personne")
