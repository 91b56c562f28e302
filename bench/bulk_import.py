"""`make bench-import`: a backlog of CIR signings into the pipeline, on the embedded stack.

One stack (Tansu, redis-server, the three services), one run, two ways of sending the same number of
signings, fresh ones each time:
- baseline: one `POST /v1/cir-signings` per signing, 64 in flight;
- batch: `POST /v1/cir-signings/batch`, `--batch` lines per request, `--requests` requests in flight;
- scale-out: the same, with a second referrals instance started beside the first and the requests
  spread over both (as a load balancer in front of two replicas would), `--requests` in flight at each.
"Into the pipeline" is referrals' answer: the signing is on its private log (sealed), its key and consent
are logged and its profile is published for matching. The bench then waits until matching has answered
every batch signing (a proposal in referrals) and prints that rate too: the pipeline's own pace, which the
door does not set.

    python bench/bulk_import.py                    # 5,000 signings each way
    python bench/bulk_import.py --signings 20000 --batch 1000 --requests 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import time
import uuid
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from passerelle.infrastructure import Infrastructure
from passerelle.stack import ServiceStack
from passerelle.topologies import consumer_groups
from services.referrals.config import DEVELOPMENT_ADMIN_TOKEN
from shared.ops.state import consumer_lag

console = Console()
ADMIN = {"Authorization": f"Bearer {DEVELOPMENT_ADMIN_TOKEN}"}


def signing(n: int, tag: str) -> dict[str, Any]:
    return {
        "beneficiary_id": f"bulk-{tag}-{n:07d}", "birth_date": "1998-04-02", "cir_signed_on": "2026-11-30",
        "french_level": "A2", "diploma_level": 3, "occupations": ["F1703"], "department": "67", "mobility": "region",
        "housing": "private", "consent_to_share": n % 2 == 0,
        "contact": {"given_name": "Awa", "family_name": f"Import{n}", "email": f"awa.{n}@example.org"},
    }  # fmt: skip


async def one_by_one(client: httpx.AsyncClient, bodies: list[dict[str, Any]], in_flight: int) -> float:
    gate = asyncio.Semaphore(in_flight)

    async def post(body: dict[str, Any]) -> None:
        async with gate:
            (await client.post("/v1/cir-signings", json=body)).raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(post(b) for b in bodies))
    return time.perf_counter() - started


async def in_batches(
    clients: list[httpx.AsyncClient], bodies: list[dict[str, Any]], size: int, in_flight: int
) -> float:
    """Batches of `size` lines, handed to the clients in turn, `in_flight` requests at each at once."""
    gates = [asyncio.Semaphore(in_flight) for _ in clients]

    async def post(n: int, chunk: list[dict[str, Any]]) -> None:
        client, gate = clients[n % len(clients)], gates[n % len(clients)]
        async with gate:
            answer = await client.post(
                "/v1/cir-signings/batch", content="\n".join(json.dumps(b) for b in chunk),
                headers={"Content-Type": "application/x-ndjson"},
            )  # fmt: skip
            answer.raise_for_status()
            counts = answer.json()["counts"]
            assert counts["accepted"] == len(chunk), counts

    started = time.perf_counter()
    await asyncio.gather(*(post(n, bodies[i : i + size]) for n, i in enumerate(range(0, len(bodies), size))))
    return time.perf_counter() - started


async def accepted_by(client: httpx.AsyncClient, timeout_s: float = 60.0) -> None:
    """Until an instance knows the auditor's key (it learns new keys from the credentials topic)."""
    deadline = time.monotonic() + timeout_s
    while (await client.get("/v1/beneficiaries/nobody/referrals")).status_code == 401:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{client.base_url} did not accept the auditor's key in {timeout_s:.0f} s")
        await asyncio.sleep(0.2)


async def matched(client: httpx.AsyncClient, bootstrap: str, bodies: list[dict[str, Any]], timeout_s: float) -> float:
    """Seconds until matching has read every profile and then referrals every proposal (the two groups'
    lag at 0, in that order); then, not timed, that referrals holds a proposal for each signing. (Asking
    referrals signing by signing, as this bench once did, timed the asking: a few ms a signing.)"""
    started = time.perf_counter()
    for group in ("matching.profiles", "referrals.proposals"):
        while (await consumer_lag(bootstrap, {group: consumer_groups()[group]}))[group] != 0:
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"{group} still behind after {timeout_s:.0f} s")
            await asyncio.sleep(0.1)
    took = time.perf_counter() - started
    await all_proposed(client, [b["beneficiary_id"] for b in bodies])
    return took


async def all_proposed(client: httpx.AsyncClient, ids: list[str], tries: int = 20) -> None:
    """Every signing has its proposal in referrals (32 asked at once; the missing ones again, 20 times)."""
    gate = asyncio.Semaphore(32)

    async def missing(beneficiary_id: str) -> bool:
        async with gate:
            view = (await client.get(f"/v1/beneficiaries/{beneficiary_id}/referrals")).raise_for_status().json()
        return view.get("proposal") is None

    for _ in range(tries):
        found = await asyncio.gather(*(missing(i) for i in ids))
        ids = [i for i, lacking in zip(ids, found, strict=True) if lacking]
        if not ids:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{len(ids)} signings without a proposal, e.g. {ids[:3]}")


async def run(stack: ServiceStack, second: ServiceStack, args: argparse.Namespace) -> dict[str, float]:
    base_url, bootstrap = stack.url("referrals"), stack.infrastructure.kafka_bootstrap_servers
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=60) as admin:
        key = (await admin.post("/v1/admin/auditor-keys")).raise_for_status().json()["api_key"]
    limits, auth = httpx.Limits(max_connections=64), {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=auth, timeout=300, limits=limits) as client,
        httpx.AsyncClient(base_url=second.url("referrals"), headers=auth, timeout=300, limits=limits) as other,
    ):
        await one_by_one(client, [signing(n, "warm") for n in range(50)], 8)
        single, batch, spread = ([signing(n, uuid.uuid4().hex[:6]) for n in range(args.signings)] for _ in range(3))
        console.print(f"baseline: {args.signings} signings, one request each, 64 in flight")
        single_s = await one_by_one(client, single, 64)
        await matched(client, bootstrap, single, 600)  # the pipeline drained before the next way starts
        console.print(f"batch: {args.signings} signings, {args.batch} lines a request, {args.requests} in flight")
        batch_s = await in_batches([client], batch, args.batch, args.requests)
        drained_s = batch_s + await matched(client, bootstrap, batch, 600)
        console.print("scale-out: a second referrals instance, the same batches spread over both")
        await asyncio.to_thread(second.start_service, "referrals")
        await accepted_by(other)
        await one_by_one(other, [signing(n, "warm2") for n in range(50)], 8)
        spread_s = await in_batches([client, other], spread, args.batch, args.requests)
        await matched(client, bootstrap, spread, 600)
    return {"single_per_s": args.signings / single_s, "batch_per_s": args.signings / batch_s,
            "batch_matched_per_s": args.signings / drained_s, "spread_per_s": args.signings / spread_s}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/bulk_import.py", description=__doc__.split("\n")[0])
    parser.add_argument("--signings", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000, help="lines per request (the default MAX_BATCH_LINES)")
    parser.add_argument("--requests", type=int, default=2, help="batch requests in flight")
    args = parser.parse_args()
    infra = Infrastructure(use_environment=False)
    stack: ServiceStack | None = None
    second = ServiceStack(infra, extra_env={"LOG_LEVEL": "WARNING"}, instance="2")  # its referrals only
    try:
        infra.start()
        stack = ServiceStack(infra, extra_env={"LOG_LEVEL": "WARNING"})
        stack.start()
        figures = asyncio.run(run(stack, second, args))
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            second.stop()
            if stack is not None:
                stack.stop()
            infra.stop()
        finally:
            signal.signal(signal.SIGINT, previous)
    table = Table(
        title=f"bulk import, {args.signings} signings each way ({platform.machine()}, {os.cpu_count()} cores)"
    )
    table.add_column("way")
    table.add_column("signings/s into the pipeline", justify="right")
    table.add_row("one POST /v1/cir-signings each (baseline)", f"{figures['single_per_s']:,.0f}")
    table.add_row(f"POST /v1/cir-signings/batch, {args.batch} lines", f"{figures['batch_per_s']:,.0f}")
    table.add_row("  … until matching proposed to all", f"{figures['batch_matched_per_s']:,.0f}")
    table.add_row("  … over two referrals instances", f"{figures['spread_per_s']:,.0f}")
    console.print(table)
    console.print(
        f"batch / baseline: {figures['batch_per_s'] / figures['single_per_s']:.2f}x; two instances / one:"
        f" {figures['spread_per_s'] / figures['batch_per_s']:.2f}x; target 5,000/s"
    )


if __name__ == "__main__":
    main()
