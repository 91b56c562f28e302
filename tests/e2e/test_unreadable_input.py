"""Input that made people unfindable or failed a whole batch (issue 30, class 9), against the running
service: a name with a bidi override or a NUL is a 422 naming the field, French then English, and nothing
is stored; a batch answers each line alone — a deeply nested line is that line's `invalid`, never a 500 for
all, and a line holding U+2028 is one line, not two."""

from __future__ import annotations

import json

import httpx
import pytest

from shared.contract.human_text import BLANK, UNREADABLE
from tests.factories import signing_body
from tests.support import random_ref

DEPARTMENT = "53"  # Mayenne: no other e2e test uses it
NDJSON = {"content-type": "application/x-ndjson"}


@pytest.mark.parametrize(
    "name", ["Amina\u202egnp.exe", "Ami\x00na", "\u200b", "   "], ids=["bidi", "NUL", "zw", "blank"]
)
async def test_an_unreadable_name_is_refused_by_field_and_nothing_is_stored(api: httpx.AsyncClient, name: str) -> None:
    body = signing_body(department=DEPARTMENT, contact={"given_name": name, "family_name": "Diallo"})
    refused = await api.post("/v1/cir-signings", json=body)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "contact", "given_name"]
    assert error["msg"] in (UNREADABLE, BLANK)
    assert (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).status_code == 404


async def test_a_batch_judges_each_line_alone_whatever_one_of_them_holds(api: httpx.AsyncClient) -> None:
    good = signing_body(department=DEPARTMENT)
    nested = "[" * 100_000 + "]" * 100_000
    separated = json.dumps(signing_body(department=DEPARTMENT, skills=["soudure\u2028cuisine"]), ensure_ascii=False)
    also_good = signing_body(department=DEPARTMENT, beneficiary_id=random_ref("b"))
    lines = [json.dumps(good), nested, separated, json.dumps(also_good)]

    answer = await api.post("/v1/cir-signings/batch", content="\n".join(lines).encode(), headers=NDJSON)

    assert answer.status_code == 200, answer.text[:500]
    results = answer.json()["results"]
    assert [(r["line"], r["status"]) for r in results] == [(1, "accepted"), (2, "invalid"), (3, "invalid"),
                                                          (4, "accepted")]  # fmt: skip
    assert results[2]["errors"][0]["loc"] == ["body", 3, "skills", "0"]
