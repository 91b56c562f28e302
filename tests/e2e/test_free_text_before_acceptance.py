"""Free text an auditor writes reaches a partner only once the partner has accepted the person and the
person consented to be known (issue 30, class 8): auditors write names in a referral-by-hand's reason and in
the skills, and before that point the partner must learn nothing that names the person — not on its topic,
not in the API's referral views, not on its console page."""

from __future__ import annotations

import json

import httpx

from passerelle.stack import ServiceStack
from shared.contract.topics import partner_candidates_topic
from tests.e2e.access import ADMIN, issue_auditor_key, issue_partner_key
from tests.e2e.console_steps import PASSWORD
from tests.e2e.steps import publish_opening
from tests.factories import epide_opening, signing_body
from tests.support import collect_records, random_ref

DEPARTMENT = "54"  # Meurthe-et-Moselle: no other e2e test uses it
NAME = "Aminata Sangaré"


async def test_an_auditors_words_reach_the_partner_only_after_acceptance(stack: ServiceStack) -> None:
    base_url = stack.url("referrals")
    partner_id = random_ref("atelier")[:30]
    rules = {"min_french": "C2", "departments": [DEPARTMENT]}  # nobody is proposed it: a referral by hand
    opening = epide_opening(partner_id=partner_id, department=DEPARTMENT).model_dump(mode="json") | {
        "eligibility": rules
    }
    partner = {"Authorization": f"Bearer {await issue_partner_key(base_url, partner_id)}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers=partner) as owner:
        await publish_opening(owner, stack, opening)
    auditor = {"Authorization": f"Bearer {await issue_auditor_key(base_url)}"}
    body = signing_body(department=DEPARTMENT, french_level="A1", consent_to_share=True,
                        skills=["soudure", f"aide à {NAME} pour la cuisine"])  # fmt: skip
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers=auditor) as api:
        assert (await api.post("/v1/cir-signings", json=body)).status_code == 202
        by_hand = {"beneficiary_id": body["beneficiary_id"], "opening_id": opening["opening_id"],
                   "note": f"{NAME} m'a dit qu'elle voulait y aller"}  # fmt: skip
        referred = await api.post("/v1/referrals", json=by_hand)
        assert referred.status_code == 201, referred.text
    referral_id = referred.json()["referral_id"]
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        login = f"{partner_id[:20]}.equipe"
        account = {"login": login, "name": "Équipe", "role": "partner", "password": PASSWORD, "partner_id": partner_id}
        assert (await admin.post("/v1/admin/accounts", json=account)).status_code == 201

    async def what_the_partner_reads() -> list[str]:
        async with httpx.AsyncClient(base_url=base_url, timeout=15, headers=partner) as owner:
            answers = [await owner.get(f"/v1/referrals/{referral_id}"),
                       await owner.get(f"/v1/partners/{partner_id}/referrals")]  # fmt: skip
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as browser:
            form = await browser.get("/connexion")
            token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            await browser.post("/connexion", data={"csrf_token": token, "identifiant": login, "mot_de_passe": PASSWORD})
            page = await browser.get(f"/console/partenaire/orientations/{referral_id}")
        assert all(a.status_code == 200 for a in [*answers, page]), [a.text[:200] for a in [*answers, page]]
        return [a.text for a in answers] + [page.text]

    topic = partner_candidates_topic(partner_id).name
    [entry] = await collect_records(stack.infrastructure.kafka_bootstrap_servers, topic, lambda r: True, want=1)
    assert "Sangar" not in entry.value.decode() and json.loads(entry.value)["candidate"]["skills"] == []
    before = await what_the_partner_reads()
    assert not [text for text in before if "Sangar" in text], "a name reached the partner before acceptance"

    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers=partner) as owner:
        assert (await owner.post(f"/v1/referrals/{referral_id}/accept")).status_code == 200
    after = await what_the_partner_reads()
    assert "Sangar" in after[0]  # accepted, and the person consents to be known: the words are the partner's now
