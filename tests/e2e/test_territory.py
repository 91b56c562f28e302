"""An auditor's territory (issue 30, class 7): outside it, a file is indistinguishable from one that does
not exist — review flags say nothing of other territories' people, an erased file answers 404 as an
absent one does, an erasure repeated from elsewhere is a 404 — and where uniqueness forces an answer
(a file number taken elsewhere, or erased there), the 409 says nothing more than that."""

from __future__ import annotations

from typing import Any

import httpx

from passerelle.stack import ServiceStack
from tests.e2e.access import ADMIN, issue_partner_key
from tests.e2e.steps import publish_opening
from tests.factories import epide_opening, signing_body
from tests.support import random_ref

HERE, THERE = "51", "52"  # Marne and Haute-Marne: no other e2e test uses them


async def _auditor(base_url: str, departments: list[str] | None) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=15) as admin:
        issued = await admin.post("/v1/admin/auditor-keys", json={"departments": departments or []})
        assert issued.status_code == 201, issued.text
    return httpx.AsyncClient(
        base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {issued.json()['api_key']}"}
    )


async def _signed(api: httpx.AsyncClient, department: str, **fields: Any) -> dict[str, Any]:
    body = signing_body(department=department, birth_date="1990-01-01", french_level="A1", **fields)
    answer = await api.post("/v1/cir-signings", json=body)
    assert answer.status_code == 202, answer.text
    return body


async def test_review_flags_name_only_the_auditors_own_territorys_referrals(stack: ServiceStack) -> None:
    base_url = stack.url("referrals")
    partner_id = random_ref("atelier")[:30]
    rules = {"min_french": "C2", "departments": [HERE]}  # the matcher proposes nobody: referrals by hand only
    opening = epide_opening(partner_id=partner_id, department=HERE).model_dump(mode="json") | {"eligibility": rules}
    partner = {"Authorization": f"Bearer {await issue_partner_key(base_url, partner_id)}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=15, headers=partner) as owner:
        await publish_opening(owner, stack, opening)
    everywhere = await _auditor(base_url, None)
    notes = {}
    async with everywhere:
        for department in (HERE, THERE):
            person = await _signed(everywhere, department)
            referred = await everywhere.post("/v1/referrals", json={
                "beneficiary_id": person["beneficiary_id"], "opening_id": opening["opening_id"],
                "note": "orientation décidée en entretien"})  # fmt: skip
            assert referred.status_code == 201, referred.text
            notes[department] = f"pas de A2 ({random_ref('note')})"
            async with httpx.AsyncClient(base_url=base_url, timeout=15, headers=partner) as owner:
                declined = await owner.post(f"/v1/referrals/{referred.json()['referral_id']}/decline",
                                            json={"reason": "not_eligible", "note": notes[department]})  # fmt: skip
                assert declined.status_code == 200, declined.text
        every_flag = (await everywhere.get(f"/v1/openings/{opening['opening_id']}/review-flags")).json()
    assert {f["note"] for f in every_flag} == set(notes.values())
    async with await _auditor(base_url, [HERE]) as local:
        flags = await local.get(f"/v1/openings/{opening['opening_id']}/review-flags")
    assert flags.status_code == 200
    assert [f["note"] for f in flags.json()] == [notes[HERE]]


async def test_outside_the_territory_an_erased_file_is_as_absent_as_one_never_signed(stack: ServiceStack) -> None:
    base_url = stack.url("referrals")
    async with await _auditor(base_url, [HERE]) as local, await _auditor(base_url, [THERE]) as elsewhere:
        person = (await _signed(local, HERE))["beneficiary_id"]
        assert (await local.delete(f"/v1/beneficiaries/{person}")).status_code == 200
        never = random_ref("jamais-signe")
        for path in ("/export", "/consent"):
            absent = await elsewhere.get(f"/v1/beneficiaries/{never}{path}")
            erased = await elsewhere.get(f"/v1/beneficiaries/{person}{path}")
            assert (erased.status_code, absent.status_code) == (404, 404), erased.text
            assert erased.json()["detail"] == absent.json()["detail"].replace(never, person)
        repeat = await elsewhere.delete(f"/v1/beneficiaries/{person}")
        assert repeat.status_code == 404, repeat.text
        # Its own territory still learns when it was erased.
        assert (await local.get(f"/v1/beneficiaries/{person}/export")).status_code == 410
        assert (await local.delete(f"/v1/beneficiaries/{person}")).json()["beneficiary_id"] == person


async def test_a_file_number_taken_elsewhere_is_refused_without_a_word_more(stack: ServiceStack) -> None:
    base_url = stack.url("referrals")
    async with await _auditor(base_url, [HERE]) as local, await _auditor(base_url, [THERE]) as elsewhere:
        kept = (await _signed(local, HERE))["beneficiary_id"]
        erased = (await _signed(local, HERE))["beneficiary_id"]
        assert (await local.delete(f"/v1/beneficiaries/{erased}")).status_code == 200
        answers = {}
        for person in (kept, erased):
            body = signing_body(beneficiary_id=person, department=THERE, birth_date="1990-01-01")
            answers[person] = await elsewhere.post("/v1/cir-signings", json=body)
            batch = await elsewhere.post("/v1/cir-signings/batch", content=httpx.Response(200, json=body).text + "\n",
                                         headers={"content-type": "application/x-ndjson"})  # fmt: skip
            [line] = batch.json()["results"]
            assert line["status"] == "conflict" and line["detail"] == answers[person].json()["detail"]
    for answer in answers.values():
        assert answer.status_code == 409
        detail = answer.json()["detail"]
        assert detail == "ce numéro de dossier est déjà utilisé / this file number is already in use", detail
