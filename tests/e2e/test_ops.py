"""Operators' view: heartbeats show a killed service down within two beats; dead letters are listed
with their reason and can be replayed, and a replayed message is handled once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from passerelle.stack import ServiceStack
from shared.contract.cloudevents import new_attributes
from shared.contract.events import BeneficiaryProfile
from shared.contract.topics import BENEFICIARY_PROFILE, OPS_DLQ
from shared.messaging.dead_letters import (
    DLQ_ERROR_HEADER,
    DLQ_OFFSET_HEADER,
    DLQ_PARTITION_HEADER,
    DLQ_SERVICE_HEADER,
    DLQ_TOPIC_HEADER,
)
from shared.ops.picture import collect
from tests.e2e.isolated import isolated_stack, referrals_client
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import signing_body
from tests.support import collect_records, eventually, random_ref

BEAT_S = 1.0


@pytest.fixture(scope="module")
def ops_stack() -> Iterator[ServiceStack]:
    with isolated_stack({"HEARTBEAT_INTERVAL_S": str(BEAT_S)}) as stack:
        yield stack


@pytest.fixture
async def api(ops_stack: ServiceStack) -> AsyncIterator[httpx.AsyncClient]:
    async with referrals_client(ops_stack) as client:
        yield client


def _cli(stack: ServiceStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": stack.infrastructure.kafka_bootstrap_servers}
    return subprocess.run(
        [sys.executable, "-m", "passerelle", "ops", *args], capture_output=True, text=True, timeout=120, env=env
    )


def _statuses(state: dict[str, Any]) -> dict[str, str]:
    """The status of each service's newest instance."""
    newest: dict[str, tuple[float, str]] = {}
    for instance in state["instances"]:
        seen = instance["last_seen_s"]
        if instance["service"] not in newest or seen < newest[instance["service"]][0]:
            newest[instance["service"]] = (seen, instance["status"])
    return {service: status for service, (_, status) in newest.items()}


async def test_a_killed_service_shows_down_within_two_heartbeats(ops_stack: ServiceStack) -> None:
    bootstrap = ops_stack.infrastructure.kafka_bootstrap_servers

    async def all_up() -> bool:
        return _statuses((await collect(bootstrap)).as_dict()) == dict.fromkeys(
            ("matching", "notifications", "referrals"), "up"
        )

    await eventually(all_up, what="three services up")
    once = _cli(ops_stack, "watch", "--once", "--json")
    assert once.returncode == 0, once.stderr
    assert set(_statuses(json.loads(once.stdout)).values()) == {"up"}

    ops_stack.kill("matching")

    async def matching_down() -> bool:
        return _statuses((await collect(bootstrap)).as_dict()).get("matching") == "down"

    await eventually(matching_down, timeout_s=2 * BEAT_S + 8, what="matching shown down")
    ops_stack.start_service("matching")
    await eventually(all_up, what="matching back up")


async def test_poison_is_listed_with_its_reason(ops_stack: ServiceStack) -> None:
    key = random_ref("poison")
    headers = [(k, v.encode()) for k, v in new_attributes(BeneficiaryProfile.EVENT_TYPE, "/ops").as_headers().items()]
    producer = AIOKafkaProducer(bootstrap_servers=ops_stack.infrastructure.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(BENEFICIARY_PROFILE.name, b"{broken", key=key.encode(), headers=headers)
    finally:
        await producer.stop()

    async def listed() -> dict[str, Any] | None:
        result = _cli(ops_stack, "dlq", "list", "--json")
        return next((d for d in json.loads(result.stdout) if d["key"] == key), None)

    letter = await eventually(listed, what="the poison in the dead-letter list")
    assert letter["topic"] == BENEFICIARY_PROFILE.name and "not valid JSON" in letter["error"]
    shown = _cli(ops_stack, "dlq", "show", letter["id"])
    assert json.loads(shown.stdout)["body"] == "{broken"
    assert _cli(ops_stack, "dlq", "show", "9:99999").returncode == 2


async def test_a_replayed_dead_letter_is_handled_once(api: httpx.AsyncClient, ops_stack: ServiceStack) -> None:
    bootstrap = ops_stack.infrastructure.kafka_bootstrap_servers
    await open_opening(api, ops_stack, department="12")
    body = signing_body(department="12", birth_date="2005-01-01")
    await api.post("/v1/cir-signings", json=body)
    [referral] = await referrals_of(api, body["beneficiary_id"])
    [original] = await collect_records(
        bootstrap, BENEFICIARY_PROFILE.name, lambda r: r.key == body["beneficiary_id"].encode(), want=1
    )
    # As if a since-fixed bug had dead-lettered this profile: the original bytes and headers, plus why.
    dead_headers = [
        *original.headers,
        (DLQ_TOPIC_HEADER, original.topic.encode()), (DLQ_PARTITION_HEADER, str(original.partition).encode()),
        (DLQ_OFFSET_HEADER, str(original.offset).encode()), (DLQ_SERVICE_HEADER, b"matching"),
        (DLQ_ERROR_HEADER, b"handler failed 6 times: RuntimeError: a bug since fixed"),
    ]  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(OPS_DLQ.name, original.value, key=original.key, headers=dead_headers)
    finally:
        await producer.stop()

    async def listed() -> str | None:
        letters = json.loads(_cli(ops_stack, "dlq", "list", "--json").stdout)
        return next((d["id"] for d in letters if d["key"] == body["beneficiary_id"]), None)

    letter_id = await eventually(listed, what="the dead letter")
    before = await _profiles_handled(bootstrap)
    for _ in range(2):
        replayed = _cli(ops_stack, "dlq", "replay", letter_id)
        assert replayed.returncode == 0, replayed.stderr

    async def handled_twice() -> bool:
        return await _profiles_handled(bootstrap) >= before + 2

    await eventually(handled_twice, what="matching handling both replays")
    view = (await api.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals")).json()
    assert [r["referral_id"] for r in view["referrals"]] == [referral["referral_id"]]


async def _profiles_handled(bootstrap: str) -> int:
    state = await collect(bootstrap)
    newest = max((i for i in state.instances if i.service == "matching"), key=lambda i: -i.last_seen_s)
    return newest.messages_in if newest.status == "up" else -1


async def test_the_dashboard_shows_the_services_and_a_killed_one_goes_down(ops_stack: ServiceStack) -> None:
    from playwright.async_api import async_playwright

    from tests.e2e.access import ADMIN

    base_url = ops_stack.url("referrals")
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN) as admin:
        key = (await admin.post("/v1/admin/ops-keys")).json()["api_key"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = await browser.new_page()
            await page.goto(f"{base_url}/ops")
            await page.fill("#key", key)
            await page.click("button[type=submit]")
            for service in ("referrals", "matching", "notifications"):
                # An instance of it shown up: a restarted one (the test above) is a row of its own, and rows
                # are sorted by instance id, so the new one is not necessarily the last.
                rows = page.locator("#services tbody tr", has_text=service)
                await rows.locator("td.up").first.wait_for(timeout=20_000)
            assert "Dead letters" in await page.inner_text("#dead-title")

            ops_stack.kill("notifications")
            down = page.locator("#services tbody tr", has_text="notifications").locator("td.down")
            await down.first.wait_for(timeout=20_000)  # the page refreshes by itself
        finally:
            await browser.close()
            if not ops_stack.services["notifications"].healthy():
                ops_stack.start_service("notifications")
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        assert (await anonymous.get("/v1/ops/state")).status_code == 401


async def test_the_watch_through_referrals_adds_the_referral_funnel(
    api: httpx.AsyncClient, ops_stack: ServiceStack
) -> None:
    from tests.e2e.access import ADMIN

    await open_opening(api, ops_stack, department="13")
    body = signing_body(department="13", birth_date="2005-01-01")
    await api.post("/v1/cir-signings", json=body)
    await referrals_of(api, body["beneficiary_id"])
    async with httpx.AsyncClient(base_url=ops_stack.url("referrals"), headers=ADMIN) as admin:
        key = (await admin.post("/v1/admin/ops-keys")).json()["api_key"]
    env = {**os.environ, "PASSERELLE_OPS_KEY": key}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)

    result = subprocess.run(
        [sys.executable, "-m", "passerelle", "ops", "watch", "--once", "--json", "--api", ops_stack.url("referrals")],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["funnel"]["Epide"]["proposed"] >= 1
    assert {i["service"] for i in state["instances"]} >= {"referrals", "matching", "notifications"}
    no_key = subprocess.run(
        [sys.executable, "-m", "passerelle", "ops", "watch", "--once", "--api", ops_stack.url("referrals")],
        capture_output=True, text=True, timeout=60, env={k: v for k, v in env.items() if k != "PASSERELLE_OPS_KEY"},
    )  # fmt: skip
    assert no_key.returncode == 2 and "PASSERELLE_OPS_KEY" in no_key.stderr
