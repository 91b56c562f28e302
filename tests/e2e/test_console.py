"""The people's side, driven in Debian's Chromium on the shared stack: the auditor's journey, the partner's,
the e-mail link, the refusals (scoping, CSRF) and a journey with the keyboard only; axe-core checks
every page on the way. Each journey has its own département, so that the matcher picks its openings."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import Page, expect

from passerelle.seeding import DEMO_PASSWORD, seed
from passerelle.stack import ServiceStack
from tests.e2e.access import ADMIN, issue_auditor_key
from tests.e2e.browser import assert_accessible, chromium, screenshot, sign_in
from tests.e2e.console_steps import PASSWORD, partner_with_opening, signed_and_referred, status_of
from tests.oidc_provider import OidcProvider
from tests.smtp_sink import SmtpSink
from tests.support import eventually, random_ref

APPLIED_FOR_RSA = date.today() - timedelta(days=10)
ORIENT_BY_FR = format_date(APPLIED_FOR_RSA + timedelta(weeks=6), format="long", locale="fr_FR")  # RSA: 6 weeks


@pytest.fixture(scope="module")
def seeded(stack: ServiceStack) -> ServiceStack:
    seed(stack.url("referrals"), catalogue=False)  # the accounts; the catalogue would draw other tests' people
    return stack


async def test_the_auditor_records_a_signing_reads_why_not_amends_and_prints(seeded: ServiceStack) -> None:
    base_url = seeded.url("referrals")
    file_number = random_ref("14-2026")
    epide_rules = {"min_age": 17, "max_age": 25, "min_french": "A2", "max_diploma_level": 0, "departments": ["14"]}
    await partner_with_opening(seeded, "epide-caen", "14", programme="Epide", eligibility=epide_rules)
    await partner_with_opening(seeded, "ofii-caen", "14", programme="FLE pro", title="Français professionnel")
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        auditor = {"login": "auditeur.caen", "name": "Inès Lefèvre", "role": "auditor", "password": PASSWORD,
                   "directorate": "DT Caen", "departments": ["14"]}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=auditor)).status_code in (201, 409)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "auditeur.caen", PASSWORD)
        await expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
        await assert_accessible(page)

        await page.get_by_role("link", name="Enregistrer une signature de CIR").click()
        await assert_accessible(page)
        # A wrong form first: French messages beside the fields, and nothing stored.
        await page.get_by_label("Numéro de dossier OFII").fill("67 2026 avec des espaces")
        await page.get_by_role("button", name="Enregistrer et chercher les programmes").click()
        await expect(page.locator("#erreur-birth_date")).to_have_text("Ce champ est obligatoire.")
        await expect(page.locator("#erreur-beneficiary_id")).to_contain_text("sans espace")
        await assert_accessible(page)
        await screenshot(page, "auditeur-erreurs")

        await page.get_by_label("Numéro de dossier OFII").fill(file_number)
        await page.get_by_label("Foyer", exact=True).fill(f"foyer-{file_number}")
        await page.get_by_label("Prénom").fill("Awa\u200b")  # a zero-width space pasted with the name
        await page.get_by_label("Nom", exact=True).fill("Koné")
        await page.get_by_label("Date de naissance").fill("2006-03-01")
        await expect(page.get_by_label("Département de résidence")).to_have_value("14")  # the only one of the territory
        await page.get_by_label("Niveau de français (CECRL)").select_option("A1")
        await page.get_by_label("Hébergement").select_option("cph")
        await page.get_by_label("Statut").select_option("refugee")
        await page.get_by_label("Niveau du diplôme le plus élevé (cadre européen)").select_option("0")
        await page.get_by_label("Demande de RSA", exact=True).select_option("oui")
        await page.get_by_label("Date de la demande de RSA").fill(APPLIED_FOR_RSA.isoformat())
        occupation = page.get_by_label("Métier 1")
        await occupation.press_sequentially("soudeur")
        suggestion = page.locator("#metiers-1 option").first
        await expect(suggestion).to_have_attribute("value", re.compile(r"^H29\d\d — Soudeur"))
        await occupation.fill(str(await suggestion.get_attribute("value")))
        await page.get_by_label(re.compile("La personne accepte")).check()
        await page.get_by_role("button", name="Enregistrer et chercher les programmes").click()
        # The summary names the field; the form keeps what was typed; nothing is stored.
        await expect(page.locator("#resume-erreurs")).to_contain_text("Prénom — Caractère invisible")
        await expect(page.get_by_label("Nom", exact=True)).to_have_value("Koné")
        await page.get_by_label("Prénom").fill("Awa")
        await page.get_by_label(re.compile("La personne accepte")).check()
        await screenshot(page, "auditeur-signature")
        await page.get_by_role("button", name="Enregistrer et chercher les programmes").click()

        await expect(page.get_by_role("heading", name="Awa Koné")).to_be_visible()
        await expect(page.locator("#a-orienter-avant")).to_have_text(f"À orienter avant le {ORIENT_BY_FR}")
        await expect(page.locator("dl.profil")).to_contain_text(f"foyer-{file_number}")
        why_not = page.locator("section", has=page.get_by_role("heading", name=re.compile("non accessibles")))
        epide = why_not.locator("li.carte", has=page.get_by_role("heading", name="Epide", exact=True))
        await expect(epide).to_contain_text("éligible dès que le niveau A2 est certifié", timeout=20_000)
        await expect(page.get_by_role("heading", name="Programmes proposés")).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "auditeur-propositions")

        await page.get_by_role("link", name="Modifier le profil").click()
        await expect(page.get_by_label("Métier 1")).to_have_value(re.compile(r"^H29\d\d — Soudeur"))
        await page.get_by_label("Niveau de français (CECRL)").select_option("A2")
        await assert_accessible(page)
        await page.get_by_role("button", name="Enregistrer la nouvelle version").click()
        # A referral the partner holds may be withdrawn by the new proposal: the console says so first.
        warning = page.locator("#avertissement-retrait")
        await expect(warning).to_contain_text("Cette modification peut retirer une orientation déjà envoyée")
        await expect(warning).to_contain_text("FLE pro — envoyée, réponse attendue le")
        await expect(page.get_by_label("Niveau de français (CECRL)")).to_have_value("A2")  # what was typed stays
        await assert_accessible(page)
        await screenshot(page, "auditeur-avertissement-modification")
        await page.get_by_role("button", name="Confirmer la modification").click()
        await expect(page.get_by_role("heading", name=re.compile(r"Profil \(version 2\)"))).to_be_visible()
        proposals = page.locator("ol.propositions")
        await expect(proposals.get_by_role("heading", name=re.compile("^Epide"))).to_be_visible(timeout=20_000)
        await expect(epide).to_have_count(0)
        await expect(page.locator("ol.historique")).to_contain_text("Profil modifié (version 2) : Niveau de français")
        await assert_accessible(page)

        await page.get_by_role("link", name="Fiche d'orientation à imprimer").click()
        await page.emulate_media(media="print")
        await expect(page.get_by_role("heading", name="Votre orientation")).to_be_visible()
        await expect(page.locator("main")).to_contain_text(file_number)
        await expect(page.get_by_role("link", name="Retour au dossier")).to_be_hidden()  # not printed
        await assert_accessible(page)
        await screenshot(page, "fiche-orientation")
        await page.emulate_media(media="screen")

        await page.goto(f"{base_url}/console/auditeur")
        await page.get_by_label(re.compile("Rechercher une personne")).fill("Kon")
        await page.get_by_role("button", name="Rechercher").click()
        await expect(page.get_by_role("link", name="Awa Koné")).to_be_visible()
        assert "Kon" not in page.url  # the search went in the body, not the URL
        await page.get_by_role("link", name="Awa Koné").click()
        await page.go_back()  # the results are a page of their own: Back shows them, no resubmission
        await expect(page.get_by_role("link", name="Awa Koné")).to_be_visible()


async def test_the_partner_answers_follows_and_reports_the_outcome(seeded: ServiceStack) -> None:
    base_url = seeded.url("referrals")
    await partner_with_opening(seeded, "atelier-971", "971")
    case = await signed_and_referred(base_url, "971", rsa_applicant=True, rsa_applied_on=APPLIED_FOR_RSA.isoformat())
    referral_id = case["referral"]["referral_id"]
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "atelier-971.equipe", PASSWORD)
        await expect(page.get_by_role("heading", name=re.compile("Orientations reçues"))).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text(case["signing"]["beneficiary_id"])
        await expect(page.locator("main")).not_to_contain_text("Camara")
        await expect(page.locator("main")).to_contain_text(f"À orienter avant le {ORIENT_BY_FR}")  # the legal delay
        await assert_accessible(page)
        await screenshot(page, "partenaire-orientations")
        await page.get_by_role("link", name="English").click()  # French by default, English on request
        await expect(page.get_by_role("heading", name=re.compile("^Referrals received"))).to_be_visible()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await assert_accessible(page)
        await page.get_by_role("link", name="Français").click()
        await expect(page.get_by_role("heading", name=re.compile("^Orientations reçues"))).to_be_visible()

        await page.locator(f"a[href$='{referral_id}']").click()
        await expect(page.locator("main")).not_to_contain_text("Camara")  # nobody identified before accepting
        await expect(page.locator("main")).to_contain_text(f"À orienter avant le {ORIENT_BY_FR}")
        await assert_accessible(page)
        await page.get_by_role("button", name="Accepter").click()
        await expect(page.get_by_role("status")).to_contain_text("Orientation acceptée")
        await page.get_by_role("button", name=re.compile("Afficher les coordonnées")).click()
        await expect(page.locator("#coordonnees")).to_contain_text("Fatou Camara")
        await assert_accessible(page)
        await screenshot(page, "partenaire-orientation")

        await page.get_by_role("button", name="Enregistrer l'entrée en parcours").click()
        await expect(page.get_by_role("status")).to_contain_text("Entrée en parcours enregistrée")
        await page.get_by_role("button", name="Parcours terminé").click()
        await expect(page.get_by_role("status")).to_contain_text("Fin de parcours enregistrée")
        await page.get_by_label("En emploi").check()
        await page.get_by_role("button", name="Enregistrer la situation").click()
        await expect(page.get_by_role("status")).to_contain_text("Situation à 3 mois enregistrée")
        await assert_accessible(page)

        export = await page.request.get(f"{base_url}/console/partenaire/export.csv")
        assert export.ok and referral_id in await export.text() and "Parcours terminé" in await export.text()

        # Its own sessions and keys: more seats, a key issued (shown once, and it works), then revoked.
        await page.get_by_role("link", name="Mes sessions").click()
        await page.get_by_label("Places").fill("9")
        await page.get_by_role("button", name=re.compile("^Enregistrer la session")).click()
        await expect(page.get_by_role("status")).to_contain_text("9 places")
        await assert_accessible(page)
        await page.get_by_role("link", name="Mes clés d'API").click()
        await page.get_by_role("button", name="Créer une clé").click()
        key = await page.locator("#nouvelle-cle").inner_text()
        await assert_accessible(page)
        await screenshot(page, "partenaire-cles")
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as machine:
            assert (await machine.get("/v1/partners/atelier-971/referrals")).status_code == 200
            await page.goto(f"{base_url}/console/partenaire/cles")
            await page.get_by_role("button", name=f"Révoquer la clé {key.split('_')[1]}").click()
            await expect(page.get_by_role("status")).to_contain_text("révoquée")
            assert (await machine.get("/v1/partners/atelier-971/referrals")).status_code == 401
    assert await status_of(base_url, referral_id) == "completed"
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as anyone:
        opening = (await anyone.get(f"/v1/openings/{case['referral']['opening_id']}")).json()
    assert opening["seats"] == 9


async def test_an_emailed_link_answers_one_referral_and_a_tampered_one_is_refused(
    seeded: ServiceStack, smtp_sink: SmtpSink
) -> None:
    base_url = seeded.url("referrals")
    address = "accueil@atelier-972.example.org"
    await partner_with_opening(seeded, "atelier-972", "972", email=address)
    case = await signed_and_referred(base_url, "972")

    async def mailed() -> list[Any] | None:
        return smtp_sink.to(address) or None

    message = (await eventually(mailed, what="the e-mail to the partner"))[0]
    assert "Nouvelle orientation vers Atelier Passerelle" in str(message["Subject"])
    text = message.get_content()
    assert "Camara" not in text and case["signing"]["beneficiary_id"] not in text  # no personal data
    link = re.search(r"(http://\S+/lien/\S+)", text)
    assert link is not None, text
    async with chromium() as browser:
        page = await browser.new_page()  # no account, no session
        tampered = link.group(1)[:-3] + ("AAA" if not link.group(1).endswith("AAA") else "BBB")
        refused = await page.goto(tampered)
        assert refused is not None and refused.status == 403
        await expect(page.locator("main")).to_contain_text("Ce lien n'est pas valide")

        await page.goto(link.group(1))
        await expect(page.get_by_role("heading", name="Orientation vers Atelier Passerelle")).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "lien-email")
        await page.get_by_label("Motif du refus").select_option("unreachable")
        await page.get_by_role("button", name="Refuser l'orientation").click()
        await expect(page.get_by_role("status")).to_contain_text("Orientation refusée")
    assert await status_of(base_url, case["referral"]["referral_id"]) == "declined"


async def test_people_see_only_their_own_and_a_post_without_the_csrf_token_is_refused(seeded: ServiceStack) -> None:
    base_url = seeded.url("referrals")
    await partner_with_opening(seeded, "atelier-973", "973")
    await partner_with_opening(seeded, "atelier-10", "10")
    mine = await signed_and_referred(base_url, "973")
    theirs = await signed_and_referred(base_url, "10")
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "atelier-973.equipe", PASSWORD)
        other = await page.goto(f"{base_url}/console/partenaire/orientations/{theirs['referral']['referral_id']}")
        assert other is not None and other.status == 404
        await assert_accessible(page)
        forged = await page.request.post(
            f"{base_url}/console/partenaire/orientations/{mine['referral']['referral_id']}/accepter", form={}
        )
        assert forged.status == 403
        await page.goto(f"{base_url}/console/auditeur")
        assert "n'est pas ouverte à votre rôle" in await page.inner_text("main")

        auditor = await browser.new_page()
        await sign_in(auditor, base_url, "auditrice.strasbourg", DEMO_PASSWORD)  # Bas-Rhin and Haut-Rhin only
        outside = await auditor.goto(f"{base_url}/console/auditeur/personnes/{mine['signing']['beneficiary_id']}")
        assert outside is not None and outside.status == 404
        wrong = await auditor.goto(f"{base_url}/connexion")
        assert wrong is not None
        await auditor.get_by_label("Identifiant").fill("auditrice.strasbourg")
        await auditor.get_by_label("Mot de passe").fill("pas le bon mot de passe")
        await auditor.get_by_role("button", name="Se connecter").click()
        await expect(auditor.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
        await assert_accessible(auditor)
    assert await status_of(base_url, mine["referral"]["referral_id"]) == "sent"


async def _tab_to(page: Page, name: str, presses: int = 80) -> None:
    """Press Tab until the focused element's text is `name` (what a keyboard user does)."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '')")
        if focused.strip().startswith(name):
            return
    raise AssertionError(f"{name!r} cannot be reached with the Tab key on {page.url}")


async def test_a_partner_signs_in_and_accepts_with_the_keyboard_only(seeded: ServiceStack) -> None:
    base_url = seeded.url("referrals")
    await partner_with_opening(seeded, "atelier-975", "975")
    case = await signed_and_referred(base_url, "975")
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{base_url}/connexion")
        for _ in range(10):  # past the skip link and the language link, to the login field
            await page.keyboard.press("Tab")
            if await page.evaluate("() => document.activeElement.id") == "identifiant":
                break
        await page.keyboard.type("atelier-975.equipe")
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name=re.compile("Orientations reçues"))).to_be_visible()
        await _tab_to(page, "Atelier Passerelle")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Orientation vers Atelier Passerelle")).to_be_visible()
        await _tab_to(page, "Accepter")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_contain_text("Orientation acceptée")
    assert await status_of(base_url, case["referral"]["referral_id"]) == "accepted"


async def test_the_api_documentation_is_served_without_internet(seeded: ServiceStack) -> None:
    base_url = seeded.url("referrals")
    async with chromium() as browser:
        page = await browser.new_page()
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base_url) else None)
        await page.goto(f"{base_url}/docs")
        await expect(page.locator(".swagger-ui .title")).to_contain_text("Passerelle referrals", timeout=15_000)
        assert outside == []


async def test_operators_sign_in_and_see_the_last_hour_in_french(seeded: ServiceStack) -> None:
    base_url = seeded.url("referrals")
    await signed_and_referred(base_url, "975")  # at least one signing in the last minutes
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "exploitation", DEMO_PASSWORD)
        await expect(page.get_by_role("heading", name="Exploitation", exact=True)).to_be_visible()
        services = page.locator("#services")
        for service in ("referrals", "matching", "notifications"):
            await expect(services.locator("tr", has_text=service).first).to_contain_text("en service")
        signings = page.get_by_role("img", name=re.compile("^Signatures de CIR par minute"))
        await expect(signings).to_have_attribute("aria-label", re.compile(r"maximum [1-9]\d* /min"), timeout=20_000)
        await expect(page.get_by_role("img", name=re.compile("^Temps de traitement p99"))).to_be_visible()
        await expect(page.get_by_role("img", name=re.compile("^referrals.projection"))).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "exploitation")


async def test_an_agent_signs_in_through_the_identity_provider(
    seeded: ServiceStack, oidc_provider: OidcProvider
) -> None:
    """ProConnect's flow with a provider of the tests: the provider vouches for the e-mail, the Passerelle
    account with that e-mail is signed in; an identity without an account is refused."""
    base_url = seeded.url("referrals")
    email = f"{random_ref('agent')}@interieur.gouv.fr".lower()
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        account = {"login": random_ref("agent")[:30].lower(), "name": "Agent ProConnect", "role": "auditor",
                   "password": PASSWORD, "departments": ["976"], "email": email}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=account)).status_code == 201
    async with chromium() as browser:
        page = await browser.new_page()
        oidc_provider.next_email = email
        await page.goto(f"{base_url}/connexion")
        await page.get_by_role("link", name="Se connecter avec ProConnect").click()
        await expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()
        await expect(page.locator("header")).to_contain_text(account["login"])

        stranger = await browser.new_page()
        oidc_provider.next_email = "inconnu@interieur.gouv.fr"
        await stranger.goto(f"{base_url}/connexion")
        await stranger.get_by_role("link", name="Se connecter avec ProConnect").click()
        await expect(stranger.locator("main")).to_contain_text("Aucun compte Passerelle pour inconnu@interieur.gouv.fr")
        await assert_accessible(stranger)


async def test_the_auditor_shows_a_newcomer_what_is_held_about_them(seeded: ServiceStack) -> None:
    base_url = seeded.url("referrals")
    await partner_with_opening(seeded, "atelier-21", "21")
    case = await signed_and_referred(base_url, "21")
    file_number = case["signing"]["beneficiary_id"]
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        auditor = {"login": "auditeur.dijon", "name": "Lucie Martin", "role": "auditor", "password": PASSWORD,
                   "directorate": "DT Dijon", "departments": ["21"]}  # fmt: skip
        assert (await admin.post("/v1/admin/accounts", json=auditor)).status_code in (201, 409)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "auditeur.dijon", PASSWORD)
        await page.goto(f"{base_url}/console/auditeur/personnes/{file_number}")
        await page.get_by_role("button", name="Données détenues sur la personne").click()

        await expect(page.get_by_role("heading", name="Ce que Passerelle détient sur vous")).to_be_visible()
        await expect(page.get_by_text("Fatou Camara")).to_be_visible()
        await expect(page.get_by_text("fatou@example.org")).to_be_visible()
        consent = page.get_by_role("table", name="Chaque version du consentement, la plus ancienne d'abord")
        await expect(consent.get_by_role("row")).to_have_count(2)  # the heading and version 1
        await expect(consent).to_contain_text("En entretien à l'OFII")
        await expect(page.get_by_role("region", name="Orientations")).to_contain_text("Atelier Passerelle")
        await assert_accessible(page)
        await screenshot(page, "donnees-detenues")

    key = await issue_auditor_key(base_url)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {key}"}) as api:
        exported = (await api.get(f"/v1/beneficiaries/{file_number}/export")).json()
    assert exported["signing"]["contact"]["family_name"] == "Camara"
    assert [c["version"] for c in exported["consent"]] == [1]
    assert [r["referral_id"] for r in exported["referrals"]] == [case["referral"]["referral_id"]]
    assert [v["version"] for v in exported["profile_versions"]] == [1]
    # The page's read-out and this one are both recorded, and the export shows them.
    assert [a["action"] for a in exported["audit"]].count("personal_data_exported") == 2

    # The person changes their mind, then asks to be forgotten: refused while the referral is open.
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base_url, "auditeur.dijon", PASSWORD)
        await page.goto(f"{base_url}/console/auditeur/personnes/{file_number}/donnees")
        await page.get_by_role("button", name="Données détenues sur la personne").click()
        await expect(page.get_by_label(re.compile("Apparaître, sans mon nom"))).to_be_checked()
        await page.get_by_label(re.compile("Apparaître, sans mon nom")).uncheck()
        await page.get_by_label("Comment la personne l'a demandé").first.select_option("phone")
        await page.get_by_role("button", name="Enregistrer le consentement").click()
        await expect(page.get_by_role("status")).to_contain_text("Consentement enregistré (version 2)")

        await page.goto(f"{base_url}/console/auditeur/personnes/{file_number}/donnees")
        await page.get_by_role("button", name="Données détenues sur la personne").click()
        consent = page.get_by_role("table", name="Chaque version du consentement, la plus ancienne d'abord")
        await expect(consent.get_by_role("row")).to_have_count(3)
        await expect(consent).to_contain_text("Par téléphone")
        await expect(page.get_by_label(re.compile("Apparaître, sans mon nom"))).not_to_be_checked()
        await assert_accessible(page)
        await screenshot(page, "droits-consentement-effacement")
        await page.get_by_label("La personne demande l'effacement de ses données").check()
        await page.get_by_role("button", name="Effacer définitivement").click()
        await expect(page.get_by_role("status")).to_contain_text("Effacement impossible : une orientation est en cours")

        await page.get_by_role("button", name=re.compile("^Retirer l'orientation")).click()
        await expect(page.get_by_role("status")).to_contain_text("Orientation retirée")
        await page.goto(f"{base_url}/console/auditeur/personnes/{file_number}/donnees")
        await page.get_by_role("button", name="Données détenues sur la personne").click()
        await page.get_by_label("La personne demande l'effacement de ses données").check()
        await page.get_by_role("button", name="Effacer définitivement").click()

        await expect(page.get_by_text(f"Les données du dossier {file_number} ont été effacées")).to_be_visible()
        await assert_accessible(page)
        await page.get_by_label(re.compile("Rechercher une personne")).fill(file_number)
        await page.get_by_role("button", name="Rechercher").click()
        await expect(page.get_by_role("status")).to_contain_text("0 dossier(s)")
        await page.goto(f"{base_url}/console/auditeur/personnes/{file_number}/donnees")
        await expect(page.locator("main")).not_to_contain_text("Camara")
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {key}"}) as api:
        assert (await api.get(f"/v1/beneficiaries/{file_number}/export")).status_code == 410
