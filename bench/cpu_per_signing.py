"""`make bench-cpu`: CPU per signing, by process, end to end — and the same against an older commit.

Starts the embedded stack, seeds one partner and opening, then posts `--signings` CIR signings with
`--concurrency` requests in flight (a closed loop: as fast as the stack answers) and waits until every
consumer group has caught up. It prints, per process (the three services, Tansu, redis-server), the CPU
seconds spent per signing during the HTTP phase, after it (the consumers catching up), and in all.

With `--baseline REV`, the same run is made first on `REV` (checked out with `git worktree` in a
temporary directory, run with this checkout's virtualenv), then on the working tree, `--rounds` times
in alternation, so that both are measured on the same machine in the same minutes.

    python bench/cpu_per_signing.py                       # this checkout
    python bench/cpu_per_signing.py --baseline HEAD~3     # against an older commit, same run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROCESSES = ("referrals", "matching", "notifications", "tansu", "redis-server")
WARM_UP = 30


def measure(signings: int, concurrency: int) -> dict[str, Any]:
    """One run on a fresh embedded stack, in this interpreter (whose `sys.path` picks the code measured)."""
    from passerelle.infrastructure import Infrastructure
    from passerelle.stack import ServiceStack

    infra = Infrastructure(use_environment=False)
    stack = ServiceStack(infra)
    try:
        infra.start()
        stack.start()
        return asyncio.run(_drive(infra, stack, signings, concurrency))
    finally:
        stack.stop()
        infra.stop()


async def _drive(infra: Any, stack: Any, signings: int, concurrency: int) -> dict[str, Any]:
    import httpx
    from e2e_load import cpu_seconds, seed, signing_body  # bench/ is on the path: the script's own directory

    from passerelle.topologies import consumer_groups
    from shared.ops.state import consumer_lag

    base, bootstrap = stack.url("referrals"), infra.kafka_bootstrap_servers
    headers, _ = await seed(base, stack.url("matching"), bootstrap, signings + WARM_UP)
    pids = {name: s.process.pid for name, s in stack.services.items() if s.process is not None}
    pids |= {"tansu": infra._kafka._process.pid, "redis-server": infra._redis._process.pid}

    async def post(prefix: str, count: int) -> None:
        todo = list(range(count))
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

            async def worker() -> None:
                while todo:
                    body = signing_body(f"{prefix}-{todo.pop()}")
                    (await client.post("/v1/cir-signings", content=body)).raise_for_status()

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def caught_up() -> None:
        while not all(v == 0 for v in (await consumer_lag(bootstrap, consumer_groups())).values()):
            await asyncio.sleep(0.5)

    await post("warm", WARM_UP)
    await caught_up()
    before, started = {n: cpu_seconds(p) for n, p in pids.items()}, time.monotonic()
    await post("cpu", signings)
    during, answered = {n: cpu_seconds(p) for n, p in pids.items()}, time.monotonic()
    await caught_up()
    after, done = {n: cpu_seconds(p) for n, p in pids.items()}, time.monotonic()
    per = {
        name: {
            "http_ms": 1000 * (during[name] - before[name]) / signings,
            "after_ms": 1000 * (after[name] - during[name]) / signings,
            "total_ms": 1000 * (after[name] - before[name]) / signings,
        }
        for name in PROCESSES
    }
    return {
        "signings": signings,
        "http_phase_s": round(answered - started, 2),
        "signings_per_s": round(signings / (done - started), 1),
        "caught_up_after_s": round(done - answered, 2),
        "processes": per,
        "total_ms": sum(p["total_ms"] for p in per.values()),
    }


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    where = Path(tempfile.mkdtemp(prefix="passerelle-baseline-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), rev], check=True)
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False)


def run_child(code_root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One measurement in a child interpreter whose code comes from `code_root` (bench helpers from here)."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(code_root), str(HERE)])}
    command = [sys.executable, str(HERE / "cpu_per_signing.py"), "--child", "--signings", str(args.signings),
               "--concurrency", str(args.concurrency)]  # fmt: skip
    done = subprocess.run(command, env=env, cwd=code_root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the run on {code_root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(results: dict[str, list[dict[str, Any]]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ms of CPU per signing, median of the rounds (HTTP phase + consumers catching up)")
    table.add_column("process")
    for label in results:
        table.add_column(label, justify="right")
    for name in (*PROCESSES, "all"):
        cells = []
        for runs in results.values():
            values = [r["total_ms"] if name == "all" else r["processes"][name]["total_ms"] for r in runs]
            cells.append(f"{statistics.median(values):.1f}  ({min(values):.1f} to {max(values):.1f})")
        table.add_row(name, *cells)
    rates = [f"{statistics.median(r['signings_per_s'] for r in runs):.0f}" for runs in results.values()]
    table.add_row("signings/s (closed loop)", *rates)
    Console(width=150).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/cpu_per_signing.py", description=__doc__.splitlines()[0])
    parser.add_argument("--signings", type=int, default=600, help="signings measured per run (600)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (16)")
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision, in alternation")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side (2)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "cpu_per_signing.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.signings < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--signings, --concurrency and --rounds must be at least 1")
    if args.child:
        print(json.dumps(measure(args.signings, args.concurrency)))
        return 0
    results: dict[str, list[dict[str, Any]]] = {}
    with contextlib.ExitStack() as stack:
        sides = {"this checkout": ROOT}
        if args.baseline:
            sides = {f"baseline {args.baseline}": stack.enter_context(worktree(args.baseline))} | sides
        for round_ in range(args.rounds):
            for label, code_root in sides.items():
                print(f"round {round_ + 1}/{args.rounds}: {label} ({args.signings} signings)", flush=True)
                results.setdefault(label, []).append(run_child(code_root, args))
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"JSON: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
