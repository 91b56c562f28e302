"""A backlog handed over by another system: `POST /v1/cir-signings/batch` answers each line, and what it
accepted flows on to proposals and partners; `passerelle import` sends a file of it, with its summary."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from passerelle.import_command import run_import
from passerelle.stack import ServiceStack
from tests.e2e.access import issue_auditor_key
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import signing_body

DEPARTMENT = "36"


def _body(**overrides: Any) -> dict[str, Any]:
    return signing_body(department=DEPARTMENT, birth_date="2004-09-09", **overrides)


async def test_a_batch_answers_every_line_and_the_accepted_ones_are_matched(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    await open_opening(api, stack, DEPARTMENT, seats=40)
    good = [_body() for _ in range(20)]
    lines = [json.dumps(b) for b in good] + ["{broken", json.dumps(_body(french_level="Z9")), json.dumps(good[0])]

    answer = await api.post(
        "/v1/cir-signings/batch", content="\n".join(lines), headers={"Content-Type": "application/x-ndjson"}
    )

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["counts"] == {"accepted": 20, "duplicate": 1, "invalid": 2, "conflict": 0, "forbidden": 0}
    assert [r["line"] for r in result["results"]] == list(range(1, 24))
    assert result["results"][22]["beneficiary_id"] == good[0]["beneficiary_id"]
    assert result["results"][21]["errors"][0]["loc"] == ["body", 22, "french_level"]
    for body in good[:3]:  # on to matching, as a signing sent alone
        [referral] = await referrals_of(api, body["beneficiary_id"])
        assert referral["status"] == "sent"

    too_many = "\n".join(json.dumps(_body()) for _ in range(1001))
    refused = await api.post("/v1/cir-signings/batch", content=too_many)
    assert refused.status_code == 413 and "1000" in refused.json()["detail"]
    empty = await api.post("/v1/cir-signings/batch", content="")
    assert empty.status_code == 200 and empty.json()["results"] == []


async def test_the_import_command_sends_a_file_and_says_what_it_refused(stack: ServiceStack, tmp_path: Path) -> None:
    bodies = [_body() for _ in range(120)]
    signings = tmp_path / "signings.jsonl"
    signings.write_text(
        "\n".join([json.dumps(b) for b in bodies[:60]] + ["", "not json", *(json.dumps(b) for b in bodies[60:])])
    )
    rejected = tmp_path / "refused.jsonl"
    key = await issue_auditor_key(stack.url("referrals"))
    console = Console(record=True, width=120)

    first = await asyncio.to_thread(run_import, signings, stack.url("referrals"), key, 50, rejected, console)
    again = await asyncio.to_thread(run_import, signings, stack.url("referrals"), key, 50, None, console)

    assert (first, again) == (1, 1)  # one line refused, each time
    [refused] = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert (refused["line"], refused["status"]) == (62, "invalid")  # the file's own line number
    shown = console.export_text()
    assert "enregistrées / accepted" in shown and "120" in shown and "ligne 62 (invalid)" in shown
    async with httpx.AsyncClient(base_url=stack.url("referrals"), headers={"Authorization": f"Bearer {key}"}) as api:
        for body in (bodies[0], bodies[-1]):
            assert (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).status_code == 200
