"""Rebuildable state (DESIGN §5): Redis is wiped — once while the system is quiet, once while signings
flow — and the services rebuild their state from the topics by themselves.

Quiet wipe: the state after the rebuild equals, key by key, the state before the wipe. Wipe under load:
every signing still ends with one referral, no opening is over its seats, matching's seat ledger agrees
with the referrals, every referral reaches its partner and the pool under one ce_id; then a second wipe
shows that this final state is the one the log rebuilds. Keys, signings with their contact details and
subscriptions survive the wipes (they are on referrals' private topics); a person erased before the wipe
does not come back."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from passerelle.stack import ServiceStack
from passerelle.topologies import consumer_groups
from shared.contract.events import Eligibility
from shared.contract.topics import partner_candidates_topic
from shared.ops.state import consumer_lag
from shared.redis_factory import make_redis
from tests.e2e.access import ADMIN, ActAs
from tests.e2e.isolated import isolated_stack
from tests.factories import epide_opening, signing_body
from tests.support import collect_records, eventually, header, random_ref

SERVICES = ("referrals", "matching", "notifications")
SEATS = 120  # per opening; two openings, 400 signings: some are left without a seat
PER_PHASE = 200
CONCURRENCY = 8
# Keys that are not state: short-lived locks and leases, the markers themselves, a counter that only
# tells an in-memory engine to refresh, and seat prices the next re-optimisation recomputes.
NOT_STATE = (":state:", "referrals:lock:", "matching:reoptimise-lease", "matching:openings:version", "matching:prices")


@pytest.fixture(scope="module")
def wipe_stack() -> Iterator[ServiceStack]:
    with isolated_stack({"LOG_LEVEL": "WARNING", "STATE_CHECK_INTERVAL_S": "0.5"}) as stack:
        yield stack


async def snapshot(redis: Redis) -> dict[str, Any]:
    """Every key that is state, with its value, whatever its type."""
    state: dict[str, Any] = {}
    async for key in redis.scan_iter(count=1000):
        if any(part in key for part in NOT_STATE):
            continue
        kind = await redis.type(key)
        if kind == "string":
            state[key] = await redis.get(key)
        elif kind == "hash":
            state[key] = await redis.hgetall(key)
        elif kind == "set":
            state[key] = sorted(await redis.smembers(key))
        elif kind == "zset":
            state[key] = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            state[key] = await redis.lrange(key, 0, -1)
        else:
            raise AssertionError(f"{key}: unexpected Redis type {kind}")
    return state


async def quiet(stack: ServiceStack, redis: Redis) -> None:
    """Nothing is moving: every consumer group has caught up and the state is the same twice in a row
    (both, because the embedded broker's end offsets can run short — see shared/messaging/topic_reading.py)."""
    bootstrap = stack.infrastructure.kafka_bootstrap_servers
    last: dict[str, Any] | None = None

    async def settled() -> bool:
        nonlocal last
        lag = await consumer_lag(bootstrap, consumer_groups())
        state = await snapshot(redis)
        same, last = state == last, state
        return same and all(value == 0 for value in lag.values())

    await eventually(settled, timeout_s=120, what="every consumer group caught up and the state still")


async def rebuilt(redis: Redis) -> bool:
    return all([await redis.exists(f"{service}:state:built") for service in SERVICES])


async def post(api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    """Like a real caller: a 503 while a service rebuilds is retried with the same, idempotent, signing."""
    delay = 0.1
    for _ in range(60):
        response = await api.post("/v1/cir-signings", json=body)
        if response.status_code == 202:
            return
        assert response.status_code == 503, response.text
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
    raise AssertionError(f"signing {body['beneficiary_id']} never accepted")


async def referrals_of(api: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    views: dict[str, dict[str, Any]] = {}
    for start in range(0, len(bodies), 100):
        chunk = bodies[start : start + 100]
        answers = await asyncio.gather(*(api.get(f"/v1/beneficiaries/{b['beneficiary_id']}/referrals") for b in chunk))
        for body, answer in zip(chunk, answers, strict=True):
            assert answer.status_code == 200, answer.text
            views[body["beneficiary_id"]] = answer.json()
    return views


PASSWORD = "mot-de-passe-du-finistere"
FORGOTTEN = {"given_name": "Nadia", "family_name": "Oubliée-Après-Effacement", "email": "nadia.o@example.org"}


async def _signs_in(base_url: str, login: str, password: str) -> bool:
    """Sign in on the console as a browser would: the form's CSRF token, then the POST."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as browser:
        form = await browser.get("/connexion")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None, form.text
        answer = await browser.post(
            "/connexion", data={"csrf_token": token.group(1), "identifiant": login, "mot_de_passe": password}
        )
        return answer.status_code == 303 and answer.headers["location"] == "/console/auditeur"


async def test_a_wiped_redis_is_rebuilt_from_the_topics(wipe_stack: ServiceStack) -> None:
    base_url = wipe_stack.url("referrals")
    bootstrap = wipe_stack.infrastructure.kafka_bootstrap_servers
    redis = make_redis(wipe_stack.infrastructure.redis_url)
    owners = [random_ref("wipe")[:14].lower() for _ in range(2)]
    watcher = random_ref("pool")[:14].lower()
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30, auth=ActAs(base_url)) as api:
            openings = []
            for owner in owners:
                opening = epide_opening(partner_id=owner, department="29", seats=SEATS,
                                        eligibility=Eligibility(departments=["29"]))  # fmt: skip
                assert (await api.post("/v1/openings", json=opening.model_dump(mode="json"))).status_code == 201
                openings.append(opening.opening_id)
            pool = {"filters": {"departments": ["29"]}}
            subscribed = await api.post(f"/v1/partners/{watcher}/subscriptions", json=pool)
            assert subscribed.status_code == 201, subscribed.text

            async def matching_knows_the_openings() -> bool:
                async with httpx.AsyncClient() as client:
                    health = (await client.get(f"{wipe_stack.url('matching')}/health")).json()
                return int(health["openings_known"]) >= 2

            await eventually(matching_knows_the_openings, what="the openings in matching")

            # Phase 1: signings, partner answers (seats confirmed, released, re-routed), then a quiet wipe.
            first = [signing_body(department="29", birth_date="2004-05-05", consent_to_share=True)
                     for _ in range(PER_PHASE)]  # fmt: skip
            await _post_all(api, first)
            await eventually(lambda: _all_answered(api, first), timeout_s=120, what="proposals for phase 1")
            placed = [v["referrals"][0] for v in (await referrals_of(api, first)).values() if v["referrals"]]
            for referral in placed[:15]:
                assert (await api.post(f"/v1/referrals/{referral['referral_id']}/accept")).status_code == 200
            for referral in placed[15:25]:
                declined = await api.post(f"/v1/referrals/{referral['referral_id']}/decline",
                                          json={"reason": "not_eligible", "note": "needs A2 first"})  # fmt: skip
                assert declined.status_code == 200, declined.text
            # People's state: an account, another one disabled by the administrator, and a profile amended to
            # version 2 (matched again at once).
            async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=30) as admin:
                for login in ("auditrice.finistere", "auditeur.parti"):
                    account = {"login": login, "name": "Anne Le Bihan", "role": "auditor", "password": PASSWORD,
                               "departments": ["29"]}  # fmt: skip
                    assert (await admin.post("/v1/admin/accounts", json=account)).status_code == 201
                assert (await admin.post("/v1/admin/accounts/auditeur.parti/disable")).status_code == 200
            assert not await _signs_in(base_url, "auditeur.parti", PASSWORD)
            amended = dict(first[1], french_level="B1")
            answer = await api.put(f"/v1/beneficiaries/{amended['beneficiary_id']}/profile", json=amended)
            assert answer.status_code == 202 and answer.json()["version"] == 2, answer.text

            async def rematched() -> bool:
                view = (await api.get(f"/v1/beneficiaries/{amended['beneficiary_id']}/referrals")).json()
                return view["proposal"]["profile_version"] == 2

            await eventually(rematched, what="the proposal for the amended profile")
            # A person erased (no opening in their département, so no referral holds them back).
            forgotten = signing_body(department="44", contact=FORGOTTEN, consent_to_share=True)
            await post(api, forgotten)
            await eventually(lambda: _all_answered(api, [forgotten]), what="the proposal for the erased person")
            erased = await api.delete(f"/v1/beneficiaries/{forgotten['beneficiary_id']}")
            assert erased.status_code == 200, erased.text
            await quiet(wipe_stack, redis)
            before = await snapshot(redis)

            await redis.flushall()
            await eventually(lambda: rebuilt(redis), timeout_s=60, what="every service rebuilt its state")
            await quiet(wipe_stack, redis)
            after = await snapshot(redis)
            assert after.keys() == before.keys(), {
                "lost": sorted(before.keys() - after.keys())[:10],
                "extra": sorted(after.keys() - before.keys())[:10],
            }
            differing = [key for key in before if before[key] != after[key]]
            assert not differing, {key: (before[key], after[key]) for key in differing[:3]}
            # Nothing of the erased person came back to referrals: no record of theirs, no trace of their name
            # anywhere, only the erasure's record — and what is pseudonymous (their latest proposal, the
            # marker that their profile was published, matching's copy of that profile).
            who = forgotten["beneficiary_id"]
            pseudonymous = ("referrals:proposal:", "referrals:published:")
            theirs = [k for k in after if who in k and k.startswith("referrals:") and not k.startswith(pseudonymous)]
            assert theirs == [], theirs
            assert not any(FORGOTTEN["family_name"] in str(value) for value in after.values())
            assert who in after["referrals:erased"]

            # What lives only on referrals' private topics came back: signings (a repeat is recognised,
            # a different one refused) and the API keys issued before the wipe (ActAs still uses them).
            repeat = await api.post("/v1/cir-signings", json=first[0])
            assert repeat.status_code == 202 and repeat.json()["created"] is False, repeat.text
            changed = dict(first[0], contact={"given_name": "Other", "family_name": "Person"})
            assert (await api.post("/v1/cir-signings", json=changed)).status_code == 409
            assert await _signs_in(base_url, "auditrice.finistere", PASSWORD)  # accounts came back too
            assert not await _signs_in(base_url, "auditeur.parti", PASSWORD)  # and a disabled one stays disabled

            # Phase 2: wipe while signings flow.
            second = [signing_body(department="29", birth_date="2004-05-05", consent_to_share=True)
                      for _ in range(PER_PHASE)]  # fmt: skip
            posted = 0

            async def wipe_midway() -> None:
                while posted < PER_PHASE // 2:
                    await asyncio.sleep(0.02)
                await redis.flushall()

            async def count_posts() -> None:
                nonlocal posted
                queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
                for body in second:
                    queue.put_nowait(body)

                async def worker() -> None:
                    nonlocal posted
                    while not queue.empty():
                        await post(api, queue.get_nowait())
                        posted += 1

                await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

            await asyncio.gather(wipe_midway(), count_posts())
            await eventually(lambda: rebuilt(redis), timeout_s=60, what="every service rebuilt its state")
            everyone = first + second
            await eventually(lambda: _all_answered(api, everyone), timeout_s=120, what="proposals for everyone")
            await quiet(wipe_stack, redis)

            views = await referrals_of(api, everyone)
            active: dict[str, int] = defaultdict(int)
            for view in views.values():
                live = [r for r in view["referrals"] if r["status"] in ("proposed", "sent", "accepted")]
                assert len(live) <= 1, f"{view['beneficiary_id']} holds two seats"
                for referral in live:
                    active[referral["opening_id"]] += 1
            async with httpx.AsyncClient(base_url=wipe_stack.url("matching")) as matching:
                for opening_id in openings:
                    seats = (await matching.get("/seats", params={"opening_id": opening_id})).json()
                    assert active[opening_id] <= SEATS, f"{opening_id} over its seats"
                    assert seats["available"] == SEATS - active[opening_id], (opening_id, seats, active[opening_id])
            assert sum(active.values()) == 2 * SEATS, f"{dict(active)}: seats left while people wait"

            referral_ids = {r["referral_id"]: r["partner_id"] for v in views.values() for r in v["referrals"]}
            for partner in (*owners, watcher):
                expected = {r for r, owner in referral_ids.items() if partner in (owner, watcher)}
                records = await collect_records(bootstrap, partner_candidates_topic(partner).name, lambda r: True,
                                                want=len(expected), timeout_s=60, settle_s=1.0)  # fmt: skip
                ids_by_referral: dict[str, set[str]] = defaultdict(set)
                for record in records:
                    ids_by_referral[record.key.decode()].add(header(record, "ce_id") or "")
                assert set(ids_by_referral) == expected, f"{partner}: entries missing or unexpected"
                assert all(len(ids) == 1 for ids in ids_by_referral.values()), f"{partner}: an entry sent twice"

            # The final state is the one the log rebuilds.
            final = await snapshot(redis)
            await redis.flushall()
            await eventually(lambda: rebuilt(redis), timeout_s=60, what="every service rebuilt its state again")
            await quiet(wipe_stack, redis)
            assert await snapshot(redis) == final
            lag = await consumer_lag(bootstrap, consumer_groups())
            assert all(value == 0 for value in lag.values()), lag
    finally:
        await redis.aclose()


async def _post_all(api: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> None:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker() -> None:
        while not queue.empty():
            await post(api, queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _all_answered(api: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> bool:
    views = await referrals_of(api, bodies)
    return all(view["proposal"] is not None for view in views.values())
