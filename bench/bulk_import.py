"""`make bench-import`: a backlog of CIR signings into the pipeline, on the embedded stack.

One stack (Tansu, redis-server, the three services), one run, two ways of sending the same number of
signings, fresh ones each time:
- baseline: one `POST /v1/cir-signings` per signing, 64 in flight;
- batch: `POST /v1/cir-signings/batch`, `--batch` lines per request, `--requests` requests in flight.
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
from services.referrals.config import DEVELOPMENT_ADMIN_TOKEN

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


async def in_batches(client: httpx.AsyncClient, bodies: list[dict[str, Any]], size: int, in_flight: int) -> float:
    gate = asyncio.Semaphore(in_flight)

    async def post(chunk: list[dict[str, Any]]) -> None:
        async with gate:
            answer = await client.post(
                "/v1/cir-signings/batch", content="\n".join(json.dumps(b) for b in chunk),
                headers={"Content-Type": "application/x-ndjson"},
            )  # fmt: skip
            answer.raise_for_status()
            counts = answer.json()["counts"]
            assert counts["accepted"] == len(chunk), counts

    started = time.perf_counter()
    await asyncio.gather(*(post(bodies[i : i + size]) for i in range(0, len(bodies), size)))
    return time.perf_counter() - started


async def matched(client: httpx.AsyncClient, bodies: list[dict[str, Any]], timeout_s: float) -> float:
    """Seconds until referrals holds a proposal for every signing (sampled from the last one back)."""
    started = time.perf_counter()
    pending = [b["beneficiary_id"] for b in reversed(bodies)]
    while pending and time.perf_counter() - started < timeout_s:
        view = (await client.get(f"/v1/beneficiaries/{pending[0]}/referrals")).json()
        if view.get("proposal") is None:
            await asyncio.sleep(0.2)
            continue
        pending.pop(0)
    if pending:
        raise RuntimeError(f"{len(pending)} signings without a proposal after {timeout_s:.0f} s")
    return time.perf_counter() - started


async def run(stack: ServiceStack, args: argparse.Namespace) -> dict[str, float]:
    base_url = stack.url("referrals")
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=60) as admin:
        key = (await admin.post("/v1/admin/auditor-keys")).raise_for_status().json()["api_key"]
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=300, limits=limits
    ) as client:
        await one_by_one(client, [signing(n, "warm") for n in range(50)], 8)
        single = [signing(n, uuid.uuid4().hex[:6]) for n in range(args.signings)]
        batch = [signing(n, uuid.uuid4().hex[:6]) for n in range(args.signings)]
        console.print(f"baseline: {args.signings} signings, one request each, 64 in flight")
        single_s = await one_by_one(client, single, 64)
        await matched(client, single, 600)  # the pipeline drained before the next way starts
        console.print(f"batch: {args.signings} signings, {args.batch} lines a request, {args.requests} in flight")
        batch_s = await in_batches(client, batch, args.batch, args.requests)
        drained_s = batch_s + await matched(client, batch, 600)
    return {"single_per_s": args.signings / single_s, "batch_per_s": args.signings / batch_s,
            "batch_matched_per_s": args.signings / drained_s}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/bulk_import.py", description=__doc__.split("\n")[0])
    parser.add_argument("--signings", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000, help="lines per request (the default MAX_BATCH_LINES)")
    parser.add_argument("--requests", type=int, default=2, help="batch requests in flight")
    args = parser.parse_args()
    infra = Infrastructure(use_environment=False)
    stack: ServiceStack | None = None
    try:
        infra.start()
        stack = ServiceStack(infra, extra_env={"LOG_LEVEL": "WARNING"})
        stack.start()
        figures = asyncio.run(run(stack, args))
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
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
    console.print(table)
    console.print(f"batch / baseline: {figures['batch_per_s'] / figures['single_per_s']:.2f}x; target 5,000/s")


if __name__ == "__main__":
    main()
