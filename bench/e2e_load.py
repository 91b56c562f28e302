"""`make bench-e2e`: end-to-end load on the embedded stack, from a CIR signing to the partner's topic.

Starts its own stack (Tansu, redis-server, the three services) for each load point, seeds one partner,
one opening with enough seats and a subscription, then offers signings open-loop: signing i is due at
t0 + i / rate whatever happened to the earlier ones, so queueing shows in the latency. A plain aiokafka
consumer (in a process of its own, so that the load generator does not delay its clock) reads the
partner's topic; the latency of a signing is from its due time to the moment its entry was read. The
reader fetches with fetch_max_wait_ms=50: the embedded Tansu seems to answer a parked fetch only when its
wait ends, not when a record arrives, so the reader adds up to ~50 ms (the services wait 100 ms:
KAFKA_FETCH_MAX_WAIT_MS).

Standard points (issue 9, item 6; targets on a 2-core machine): a saturation run, 1,000 signings/s offered
for 20 s (target: >= 1,000 accepted/s sustained), and 200 signings/s for 30 s (target: p99 <= 1 s).

    python bench/e2e_load.py                          # both standard points
    python bench/e2e_load.py --points latency         # one of them
    python bench/e2e_load.py --rate 300 --seconds 20  # a point of your own
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import math
import multiprocessing as mp
import os
import platform
import queue
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

import httpx
from kafka_ceiling import ceiling, records_on  # bench/ is the script's own directory
from redis.asyncio import Redis
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from passerelle.infrastructure import Infrastructure
from passerelle.stack import ServiceStack
from passerelle.topologies import consumer_groups
from services.referrals.config import DEVELOPMENT_ADMIN_TOKEN
from services.referrals.domain.referral import referral_id_for
from shared.contract.topics import partner_candidates_topic
from shared.messaging.kafka_admin import ensure_topics
from shared.ops.state import consumer_lag

# httpcore runs `import sniffio` on every lock it takes; with sniffio absent each attempt searches sys.path
# (a few stat calls): a None entry makes the import fail at once, and httpcore then assumes asyncio.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

HERE = Path(__file__).parent
DEFAULT_OUTPUT = HERE / "results" / "e2e_load.json"
STANDARD_POINTS = {
    "saturation": (1000.0, 20.0),  # find the sustained accepted signings/s; target >= 1,000/s
    "latency": (200.0, 30.0),  # latency at a moderate load; target p99 <= 1 s
}
TARGET_ACCEPTED_PER_S = 1000.0
TARGET_P99_S = 1.0
PARTNER_ID = "bench-partner"
MAX_SEATS = 100_000  # the opening contract's limit; more signings than that get more openings
WARMUP_SIGNINGS = 20
STALL_S = 30.0  # draining stops early when nothing new reaches the partner for this long
CLK_TCK = os.sysconf("SC_CLK_TCK")
console = Console(width=None if sys.stdout.isatty() else 150)


# --------------------------------------------------------------------------------------------- options


def positive(kind: type[float] | type[int], upper: float) -> Any:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not 0 < value <= upper:
            raise argparse.ArgumentTypeError(f"{text!r} must be > 0 and <= {upper:g}")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/e2e_load.py",
        description="End-to-end load: CIR signings over HTTP to entries on the partner's topic.",
    )
    parser.add_argument("--rate", type=positive(float, 20_000), help="offered signings per second (a custom point)")
    parser.add_argument("--seconds", type=positive(float, 3600), help="how long the load is offered (custom point)")
    parser.add_argument(
        "--points",
        default=None,
        help="standard points to run, comma-separated: saturation (1000/s, 20 s), latency (200/s, 30 s); "
        "the default when --rate and --seconds are not given is both",
    )
    parser.add_argument("--connections", type=positive(int, 10_000), default=64, help="HTTP pool size (64)")
    parser.add_argument(
        "--drain-timeout",
        type=positive(float, 3600),
        default=300.0,
        help="seconds to wait, once every signing is answered, for the last entries to reach the partner; "
        f"the wait also ends after {STALL_S:g} s without a new entry (300)",
    )
    parser.add_argument(
        "--request-timeout",
        type=positive(float, 600),
        default=30.0,
        help="a signing not answered this long after it was due (waiting for a connection included) is a "
        "client timeout (30)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="the services' LOG_LEVEL (INFO, their default)",
    )
    parser.add_argument(
        "--instances",
        type=positive(int, 4),
        default=1,
        help="instances of each service, in the same consumer groups; the load's HTTP goes to the first (1)",
    )
    parser.add_argument(
        "--kill-at",
        type=positive(float, 3600),
        default=None,
        help="SIGKILL every service of the last instance this many seconds into the load (needs --instances 2+)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON report ({DEFAULT_OUTPUT})")
    args = parser.parse_args(argv)
    if args.points is not None and (args.rate is not None or args.seconds is not None):
        parser.error("--points cannot be combined with --rate/--seconds")
    if args.rate is not None or args.seconds is not None:
        args.plan = [("custom", args.rate or STANDARD_POINTS["latency"][0], args.seconds or 30.0)]
    else:
        names = [n.strip() for n in (args.points or "saturation,latency").split(",") if n.strip()]
        unknown = [n for n in names if n not in STANDARD_POINTS]
        if unknown or not names:
            parser.error(f"--points: unknown point(s) {', '.join(unknown) or '(none)'}; use saturation, latency")
        args.plan = [(n, *STANDARD_POINTS[n]) for n in names]
    if args.kill_at is not None and args.instances < 2:
        parser.error("--kill-at needs --instances 2 or more: killing the only instance stops the pipeline")
    return args


# ------------------------------------------------------------------------------------ process accounting


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc/<pid>/stat (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory_mib(pid: int, field: str = "VmHWM") -> float | None:
    """A memory field of /proc/<pid>/status in MiB: VmHWM, the peak resident set since the process started
    (the default), or VmRSS, the resident set now."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def all_processes() -> dict[int, tuple[str, float]]:
    """Every process's command line (shortened) and CPU seconds: what else is using the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        used = cpu_seconds(pid)
        if used is None:
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            cmd = cmd or f"[{(entry / 'comm').read_text().strip()}]"  # a kernel thread
        except OSError:
            continue
        found[pid] = (cmd[:110], used)
    return found


CPU_STATES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_cpu() -> dict[str, float]:
    """Seconds each state has had, summed over the CPUs, from /proc/stat."""
    values = Path("/proc/stat").read_text().splitlines()[0].split()[1 : 1 + len(CPU_STATES)]
    return {state: int(v) / CLK_TCK for state, v in zip(CPU_STATES, values, strict=True)}


@dataclass
class Accounting:
    """CPU seconds per tracked process at marks (load start, load end, drained) and per-second samples."""

    pids: dict[str, int]
    marks: dict[str, dict[str, float]] = field(default_factory=dict)
    others_at: dict[str, dict[int, tuple[str, float]]] = field(default_factory=dict)
    machine_at: dict[str, dict[str, float]] = field(default_factory=dict)
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)

    last: dict[str, float] = field(default_factory=dict)  # a killed process keeps the CPU it had used

    def read(self) -> dict[str, float]:
        for name, pid in self.pids.items():
            used = cpu_seconds(pid)
            if used is not None:
                self.last[name] = used
        return dict(self.last)

    def mark(self, name: str) -> None:
        self.marks[name] = self.read()
        self.machine_at[name] = machine_cpu()
        self.others_at[name] = {p: v for p, v in all_processes().items() if p not in self.pids.values()}

    async def sample_forever(self, interval_s: float = 1.0) -> None:
        while True:
            self.samples.append((time.monotonic(), self.read()))
            await asyncio.sleep(interval_s)

    def report(self, load_window: tuple[float, float], drained: float) -> dict[str, dict[str, float | None]]:
        """CPU during the load, then from its end until drained (answers and entries still coming)."""
        start, end, done = self.marks["load_start"], self.marks["load_end"], self.marks["drained"]
        seconds = max(load_window[1] - load_window[0], 1e-9)
        drain_seconds = max(drained - load_window[1], 1e-9)
        out: dict[str, dict[str, float | None]] = {}
        for name, pid in self.pids.items():
            in_load = end.get(name, 0.0) - start.get(name, 0.0)
            peak_pct = None
            inside = [(t, s) for t, s in self.samples if load_window[0] - 1 <= t <= load_window[1] + 1 and name in s]
            rates = [100 * (b[name] - a[name]) / (tb - ta) for (ta, a), (tb, b) in itertools.pairwise(inside)]
            if rates:
                peak_pct = round(max(rates), 1)
            out[name] = {
                "pid": pid,
                "cpu_s_load": round(in_load, 2),
                "cpu_s_drain": round(done.get(name, 0.0) - end.get(name, 0.0), 2),
                "cpu_pct_load_avg": round(100 * in_load / seconds, 1),
                "cpu_pct_drain_avg": round(100 * (done.get(name, 0.0) - end.get(name, 0.0)) / drain_seconds, 1),
                "cpu_pct_peak_1s": peak_pct,
                "peak_rss_mib": None if (rss := memory_mib(pid)) is None else round(rss, 1),
            }
        return out

    def machine(self, start: str, end: str) -> dict[str, float]:
        """Share of the machine's CPU time (all cores) in each state between two marks, in %."""
        before, after = self.machine_at[start], self.machine_at[end]
        spent = {state: after[state] - before[state] for state in CPU_STATES}
        total = max(sum(spent.values()), 1e-9)
        shares = {state: round(100 * v / total, 1) for state, v in spent.items()}
        return {"busy": round(100 - shares["idle"] - shares["iowait"], 1), **shares}

    def others(self, start: str, end: str, top: int = 6) -> dict[str, Any]:
        before, after = self.others_at[start], self.others_at[end]
        used = {p: (cmd, v - before[p][1]) for p, (cmd, v) in after.items() if p in before and v > before[p][1]}
        heaviest = sorted(used.values(), key=lambda item: -item[1])[:top]
        return {
            "cpu_s_total": round(sum(v for _, v in used.values()), 2),
            "top": [{"cmd": cmd, "cpu_s": round(v, 2)} for cmd, v in heaviest],
        }


# FastStream's Prometheus middleware: time from receiving a message to its acknowledgement, by topic.
HANDLER_SECONDS = "faststream_received_processed_messages_duration_seconds"


async def handler_seconds(stacks: list[ServiceStack]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per service and consumed topic: (messages handled, seconds spent in the handler), from /metrics,
    summed over the instances still running."""
    found: dict[str, dict[str, tuple[float, float]]] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for stack in stacks:
            for name in stack.services:
                try:
                    text = (await client.get(f"{stack.url(name)}/metrics")).text
                except httpx.HTTPError:
                    continue
                per_topic: dict[str, list[float]] = {}
                for line in text.splitlines():
                    for suffix, index in (("_count{", 0), ("_sum{", 1)):
                        if line.startswith(HANDLER_SECONDS + suffix):
                            topic = line.split('handler="', 1)[1].split('"', 1)[0]
                            per_topic.setdefault(topic, [0.0, 0.0])[index] = float(line.rsplit(" ", 1)[1])
                mine = found.setdefault(name, {})
                for topic, (count, total) in per_topic.items():
                    before = mine.get(topic, (0.0, 0.0))
                    mine[topic] = (before[0] + count, before[1] + total)
    return found


async def redis_command_counts(redis_url: str) -> dict[str, int]:
    """Calls per Redis command so far (INFO commandstats)."""
    client = Redis.from_url(redis_url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def handler_report(
    before: dict[str, dict[str, tuple[float, float]]], after: dict[str, dict[str, tuple[float, float]]], wall_s: float
) -> list[dict[str, Any]]:
    """Messages each consumer handled during the run, the mean time in its handler, and how busy that kept it."""
    rows = []
    for service, topics in after.items():
        for topic, (count, total) in topics.items():
            count0, total0 = before.get(service, {}).get(topic, (0.0, 0.0))
            handled, spent = count - count0, total - total0
            if handled <= 0:
                continue
            rows.append(
                {
                    "service": service,
                    "topic": topic,
                    "handled": int(handled),
                    "handler_ms_mean": round(1000 * spent / handled, 2),
                    "handler_busy_pct": round(100 * spent / wall_s, 1),
                }
            )
    return rows


def stack_pids(infrastructure: Infrastructure, stacks: list[ServiceStack]) -> dict[str, int]:
    pids = {
        name + (f" #{stack.instance}" if stack.instance else ""): s.process.pid
        for stack in stacks
        for name, s in stack.services.items()
        if s.process is not None
    }
    kafka, redis = infrastructure._kafka, infrastructure._redis  # the embedded processes, read only
    if kafka is not None and kafka._process is not None:
        pids["tansu"] = kafka._process.pid
    if redis is not None and redis._process is not None:
        pids["redis-server"] = redis._process.pid
    return pids


# ------------------------------------------------------------------------------------ the partner's view


def read_partner_topic(bootstrap: str, topic: str, out: Any, ready: MpEvent, stop: MpEvent) -> None:
    """Child process: read every entry of `topic` from the start, send (referral id, kind, read at, produced at)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us, after Ctrl-C too
    asyncio.run(_read_partner_topic(bootstrap, topic, out, ready, stop))


async def _read_partner_topic(bootstrap: str, topic: str, out: Any, ready: MpEvent, stop: MpEvent) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from shared.contract.events import PartnerCandidateEntry

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ready.set()
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            read_at = time.time()
            seen = []
            for records in batches.values():
                for record in records:
                    entry = PartnerCandidateEntry.model_validate_json(record.value or b"")
                    seen.append((entry.referral_id, entry.entry_kind, read_at, record.timestamp / 1000))
            if seen:
                out.put(seen)
    finally:
        await consumer.stop()


@contextlib.contextmanager
def partner_reader(bootstrap: str, topic: str) -> Iterator[tuple[Any, int]]:
    context = mp.get_context("spawn")
    out = context.Queue()
    ready, stop = context.Event(), context.Event()
    process = context.Process(target=read_partner_topic, args=(bootstrap, topic, out, ready, stop), daemon=True)
    process.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the partner-topic reader did not start")
        yield out, process.pid or 0
    finally:
        stop.set()
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)
        out.cancel_join_thread()


# -------------------------------------------------------------------------------------------- the run


@dataclass
class Signing:
    beneficiary_id: str
    body: bytes
    due_wall: float = 0.0  # when it was due (wall clock): latency counts from here
    sent_slip_s: float | None = None  # how late the generator actually started it
    queued_s: float | None = None  # from due to a free connection: the client's queue
    status: int | str | None = None
    answered_wall: float | None = None
    read_wall: float | None = None
    produced_wall: float | None = None


def signing_body(beneficiary_id: str) -> bytes:
    return json.dumps(
        {
            "beneficiary_id": beneficiary_id,
            "birth_date": "2002-03-14",
            "french_level": "A2",
            "diploma_level": 0,
            "occupations": ["G1602"],
            "skills": ["cooking"],
            "department": "67",
            "mobility": "region",
            "housing": "cph",
            "protection_status": "subsidiary",
            "rsa_applicant": False,
            "consent_to_share": True,
            "cir_signed_on": "2026-11-16",
            "contact": {"given_name": "Amina", "family_name": "Diallo", "email": "amina@example.org"},
        }
    ).encode()


async def seed(base_url: str, matching_url: str, bootstrap: str, signings: int) -> tuple[dict[str, str], list[str]]:
    """Partner, key, openings with a seat for everyone, a Kafka subscription; the auditor's headers."""
    admin = {"Authorization": f"Bearer {DEVELOPMENT_ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=admin, timeout=30) as client:
        (await client.post("/v1/admin/partners", json={"partner_id": PARTNER_ID, "name": "Bench"})).raise_for_status()
        partner_key = (await client.post(f"/v1/admin/partners/{PARTNER_ID}/keys")).raise_for_status().json()
        auditor_key = (await client.post("/v1/admin/auditor-keys")).raise_for_status().json()
        as_partner = {"Authorization": f"Bearer {partner_key['api_key']}"}
        openings: list[str] = []
        for n in range(math.ceil(signings / MAX_SEATS)):
            opening = {
                "opening_id": f"bench-opening-{n}",
                "programme": "Bench",
                "partner_id": PARTNER_ID,
                "department": "67",
                "starts_on": "2027-01-04",
                "seats": MAX_SEATS,
                "eligibility": {"min_age": 16, "max_age": 60, "departments": ["67"]},
            }
            (await client.post("/v1/openings", json=opening, headers=as_partner)).raise_for_status()
            openings.append(str(opening["opening_id"]))
        subscription = {"filters": {"departments": ["67"]}, "kafka": True}
        (
            await client.post(f"/v1/partners/{PARTNER_ID}/subscriptions", json=subscription, headers=as_partner)
        ).raise_for_status()
        deadline = time.monotonic() + 60
        while (await client.get(f"{matching_url}/health")).json().get("openings_known", 0) < len(openings):
            if time.monotonic() > deadline:
                raise RuntimeError("matching never saw the bench openings")
            await asyncio.sleep(0.2)
    await ensure_topics(bootstrap, [partner_candidates_topic(PARTNER_ID)], 1)
    return {"Authorization": f"Bearer {auditor_key['api_key']}", "content-type": "application/json"}, openings


class Deliveries:
    """Entries read on the partner's topic, matched to signings through their deterministic referral id."""

    def __init__(self, out: Any, openings: list[str]) -> None:
        self._out = out
        self._openings = openings
        self._by_referral: dict[str, Signing] = {}
        self.count = 0
        self.pool_entries = 0
        self.duplicates = 0
        self.unknown = 0

    def expect(self, signing: Signing) -> None:
        for opening in self._openings:
            self._by_referral[referral_id_for(signing.beneficiary_id, opening)] = signing

    def drain_queue(self) -> None:
        while True:
            try:
                batch = self._out.get_nowait()
            except queue.Empty:
                return
            for referral_id, kind, read_at, produced_at in batch:
                if kind != "referral":
                    self.pool_entries += 1
                    continue
                signing = self._by_referral.get(referral_id)
                if signing is None:
                    self.unknown += 1
                elif signing.read_wall is not None:
                    self.duplicates += 1
                else:
                    signing.read_wall, signing.produced_wall = read_at, produced_at
                    self.count += 1

    async def poll_forever(self) -> None:
        while True:
            self.drain_queue()
            await asyncio.sleep(0.05)


class Clients:
    """`connections` HTTP slots over several small httpx pools, and a FIFO of free slots.

    httpx's pool scans every connection (with a syscall each) and every queued request whenever a request
    is assigned, so a single pool of 64 connections with thousands of requests queued in it costs the
    generator more than the server: here a request takes a slot first (queueing in an asyncio.Queue,
    O(1)) and each pool holds at most `PER_POOL` connections, all busy or idle, never queued.
    """

    PER_POOL = 8

    def __init__(self, base_url: str, headers: dict[str, str], connections: int, request_timeout: float) -> None:
        pools = math.ceil(connections / self.PER_POOL)
        limits = httpx.Limits(max_connections=self.PER_POOL, max_keepalive_connections=self.PER_POOL)
        self.pools = [
            httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=request_timeout)
            for _ in range(pools)
        ]
        self.slots: asyncio.Queue[int] = asyncio.Queue()
        for slot in range(connections):
            self.slots.put_nowait(slot)
        self.counts: Counter[int | str] = Counter()

    async def aclose(self) -> None:
        await asyncio.gather(*(pool.aclose() for pool in self.pools))

    async def post(self, signing: Signing, due_mono: float, give_up_mono: float) -> None:
        """Send when a slot is free; give up (a client timeout) at `give_up_mono`, queueing included."""
        signing.sent_slip_s = time.monotonic() - due_mono
        slot: int | None = None
        try:
            async with asyncio.timeout(give_up_mono - time.monotonic()):
                slot = await self.slots.get()
                signing.queued_s = time.monotonic() - due_mono
                response = await self.pools[slot // self.PER_POOL].post("/v1/cir-signings", content=signing.body)
                signing.status = response.status_code
        except TimeoutError:
            signing.status = "client timeout (sent)" if slot is not None else "client timeout (never sent)"
        except httpx.HTTPError as exc:
            signing.status = type(exc).__name__
        finally:
            if slot is not None:
                self.slots.put_nowait(slot)
        signing.answered_wall = time.time()
        self.counts[signing.status] += 1

    def info(self, deliveries: Deliveries) -> str:
        errors = sum(v for k, v in self.counts.items() if k != 202)
        return f"202: {self.counts.get(202, 0)}  errors: {errors}  at partner: {deliveries.count}"


async def kill_later(stack: ServiceStack, after_s: float, killed: dict[str, float]) -> None:
    """SIGKILL every service of `stack` `after_s` seconds into the load, as a crash of that instance would;
    the other instances' consumers take its partitions over after their session timeout."""
    await asyncio.sleep(after_s)
    for name in stack.services:
        stack.kill(name)
        killed[f"{name} #{stack.instance}"] = round(after_s, 1)
    console.print(f"killed instance #{stack.instance} of every service, {after_s:g} s into the load")


async def warm_up(client: httpx.AsyncClient, deliveries: Deliveries, tag: str) -> float:
    """A few signings through the whole chain first: the consumer groups have joined before the clock runs."""
    started = time.monotonic()
    signings = [Signing(f"w{tag}-{i:04d}", signing_body(f"w{tag}-{i:04d}")) for i in range(WARMUP_SIGNINGS)]
    for signing in signings:
        deliveries.expect(signing)
        (await client.post("/v1/cir-signings", content=signing.body)).raise_for_status()
    deadline = time.monotonic() + 120
    while any(s.read_wall is None for s in signings):
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up signings never reached the partner's topic")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def settled_lag(bootstrap: str, timeout_s: float = STALL_S) -> tuple[dict[str, int | None], float | None]:
    """Lag per group once every entry reached the partner: side consumers (the referral views) may still be
    catching up, so wait up to `timeout_s` for every group to reach 0; the lag then, and how long it took."""
    started = time.monotonic()
    while True:
        lag = await consumer_lag(bootstrap, consumer_groups())
        if all(v == 0 for v in lag.values()):
            return lag, round(time.monotonic() - started, 1)
        if time.monotonic() - started > timeout_s:
            return lag, None
        await asyncio.sleep(1)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def seconds_summary(values: list[float]) -> dict[str, float | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 4)

    return {
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values) if values else None),
    }


async def drive(
    name: str, rate: float, seconds: float, args: argparse.Namespace, infra: Infrastructure, stacks: list[ServiceStack]
) -> dict[str, Any]:
    stack = stacks[0]  # the one the load's HTTP goes to
    bootstrap = infra.kafka_bootstrap_servers
    total = math.ceil(rate * seconds)
    headers, openings = await seed(stack.url("referrals"), stack.url("matching"), bootstrap, total + WARMUP_SIGNINGS)
    tag = uuid.uuid4().hex[:6]
    signings = [Signing(f"b{tag}-{i:06d}", signing_body(f"b{tag}-{i:06d}")) for i in range(total)]
    topic = partner_candidates_topic(PARTNER_ID).name
    background: list[asyncio.Task[None]] = []
    killed: dict[str, float] = {}
    with partner_reader(bootstrap, topic) as (out, reader_pid):
        deliveries = Deliveries(out, openings)
        for signing in signings:
            deliveries.expect(signing)
        background.append(asyncio.create_task(deliveries.poll_forever()))
        pids = {**stack_pids(infra, stacks), "bench client": os.getpid(), "bench reader": reader_pid}
        accounting = Accounting(pids)
        clients = Clients(stack.url("referrals"), headers, args.connections, args.request_timeout)
        try:
            warm_s = await warm_up(clients.pools[0], deliveries, tag)
            background.append(asyncio.create_task(accounting.sample_forever()))
            handlers_before = await handler_seconds(stacks)
            redis_before = await redis_command_counts(infra.redis_url)
            records_before = await records_on(bootstrap)
            progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:>6.0f}/{task.total:.0f}"),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            in_flight: list[asyncio.Task[None]] = []
            with progress:
                load_bar = progress.add_task(f"{name}: offering {rate:g}/s", total=total, info="")
                accounting.mark("load_start")
                t0_mono, t0_wall = time.monotonic(), time.time()
                for i, signing in enumerate(signings):
                    signing.due_wall = t0_wall + i / rate
                if args.kill_at is not None:
                    background.append(asyncio.create_task(kill_later(stacks[-1], args.kill_at, killed)))
                next_refresh = 0.0
                for i, signing in enumerate(signings):
                    due = t0_mono + i / rate
                    await asyncio.sleep(max(due - time.monotonic(), 0))  # when late, still let the requests run
                    in_flight.append(asyncio.create_task(clients.post(signing, due, due + args.request_timeout)))
                    if time.monotonic() >= next_refresh:
                        next_refresh = time.monotonic() + 0.25
                        progress.update(load_bar, completed=i + 1, info=clients.info(deliveries))
                load_end_mono = time.monotonic()
                progress.update(load_bar, completed=total, info=clients.info(deliveries))
                accounting.mark("load_end")
                lag_at_load_end = asyncio.create_task(consumer_lag(bootstrap, consumer_groups()))
                answer_bar = progress.add_task("HTTP answers", total=total, info="")
                while not all(task.done() for task in in_flight):
                    progress.update(answer_bar, completed=clients.counts.total(), info=clients.info(deliveries))
                    await asyncio.sleep(0.25)
                await asyncio.gather(*in_flight)
                answers_done_mono = time.monotonic()
                progress.update(answer_bar, completed=total, info=clients.info(deliveries))
                accepted = [s for s in signings if s.status == 202]
                drain_bar = progress.add_task("to the partner", total=len(accepted), info="")
                drain_deadline = time.monotonic() + args.drain_timeout
                last_count, last_progress = -1, time.monotonic()
                while time.monotonic() < drain_deadline and time.monotonic() - last_progress < STALL_S:
                    deliveries.drain_queue()
                    if deliveries.count != last_count:
                        last_count, last_progress = deliveries.count, time.monotonic()
                    progress.update(drain_bar, completed=sum(1 for s in accepted if s.read_wall is not None))
                    if all(s.read_wall is not None for s in accepted):
                        break
                    await asyncio.sleep(0.2)
                deliveries.drain_queue()
                progress.update(drain_bar, completed=sum(1 for s in accepted if s.read_wall is not None))
            drained_mono = time.monotonic()
            accounting.mark("drained")
            handlers = handler_report(handlers_before, await handler_seconds(stacks), drained_mono - t0_mono)
            redis_after = await redis_command_counts(infra.redis_url)
            lag_end = await lag_at_load_end
            lag_drained, lag_settle_s = await settled_lag(bootstrap)
            records_written = await records_on(bootstrap) - records_before
            console.print("measuring the ceiling: plain aiokafka on the same broker")
            raw = await ceiling(bootstrap)
            processes = accounting.report((t0_mono, load_end_mono), drained_mono)
            others = accounting.others("load_start", "load_end")
            machine = {
                "load": accounting.machine("load_start", "load_end"),
                "drain": accounting.machine("load_end", "drained"),
            }
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await clients.aclose()

    statuses = Counter(str(s.status) for s in signings)
    errors = {k: v for k, v in statuses.items() if k != "202"}
    delivered = [s for s in accepted if s.read_wall is not None]
    first_wall = signings[0].due_wall
    last_answer = max((s.answered_wall or first_wall) for s in accepted) if accepted else first_wall
    last_read = max((s.read_wall or first_wall) for s in delivered) if delivered else first_wall
    in_window = sum(1 for s in accepted if (s.answered_wall or 0) <= first_wall + seconds)
    read_in_window = sum(1 for s in delivered if (s.read_wall or 0) <= first_wall + seconds)
    e2e = [s.read_wall - s.due_wall for s in delivered if s.read_wall is not None]
    produced = [s.produced_wall - s.due_wall for s in delivered if s.produced_wall is not None]
    http = [s.answered_wall - s.due_wall for s in accepted if s.answered_wall is not None]
    slips = [s.sent_slip_s for s in signings if s.sent_slip_s is not None]
    queued = [s.queued_s for s in signings if s.queued_s is not None]
    return {
        "point": name,
        "offered_rate_per_s": rate,
        "offered_seconds": seconds,
        "signings_offered": total,
        "generator_rate_achieved_per_s": round(total / max(load_end_mono - t0_mono, 1e-9), 1),
        "accepted": len(accepted),
        "accepted_per_s": round(len(accepted) / max(last_answer - first_wall, 1e-9), 1),
        "accepted_per_s_within_load_window": round(in_window / seconds, 1),
        "http_errors": dict(sorted(errors.items())),
        "delivered": len(delivered),
        "delivered_per_s": round(len(delivered) / max(last_read - first_wall, 1e-9), 1),
        "delivered_per_s_within_load_window": round(read_in_window / seconds, 1),
        "not_delivered_within_drain_timeout": len(accepted) - len(delivered),
        "drain_timeout_s": args.drain_timeout,
        "latency_e2e_s": seconds_summary(e2e),
        "latency_to_partner_produce_s": seconds_summary(produced),
        "latency_http_202_s": seconds_summary(http),
        "generator_slip_s": seconds_summary(slips),
        "client_queue_s": seconds_summary(queued),
        "pool_entries_seen": deliveries.pool_entries,
        "duplicate_entries": deliveries.duplicates,
        "answers_done_after_load_s": round(answers_done_mono - load_end_mono, 2),
        "drained_after_load_s": round(drained_mono - load_end_mono, 2),
        "warm_up_s": round(warm_s, 2),
        "consumer_lag_at_load_end": lag_end,
        "consumer_lag_after_drain": lag_drained,
        "consumer_lag_settled_after_s": lag_settle_s,
        "kafka_records_per_signing": round(records_written / max(len(delivered), 1), 1),
        "kafka_ceiling": raw,
        "ratio_to_ceiling": {
            "our_records_per_s_vs_raw_produce": round(
                records_written / max(last_read - first_wall, 1e-9) / raw["produced_per_s"], 4
            ),
            "signings_per_s_vs_raw_produce": round(
                len(delivered) / max(last_read - first_wall, 1e-9) / raw["produced_per_s"], 5
            ),
        },
        "instances": len(stacks),
        "killed_s_into_load": killed,
        "processes": processes,
        "consumers": handlers,
        "redis_commands_per_delivered_signing": {
            name: round((calls - redis_before.get(name, 0)) / max(len(delivered), 1), 2)
            for name, calls in sorted(redis_after.items(), key=lambda item: redis_before.get(item[0], 0) - item[1])
            if calls > redis_before.get(name, 0) and name not in ("info",)
        },
        "other_processes_during_load": others,
        "machine_cpu_pct": machine,
        "connections": args.connections,
        "request_timeout_s": args.request_timeout,
        "services_log_level": args.log_level,
        "log_dir": str(infra.log_dir),
    }


def run_point(name: str, rate: float, seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    """One load point on a fresh stack, stopped whatever happens (Ctrl-C included)."""
    infra = Infrastructure(use_environment=False)
    stacks: list[ServiceStack] = []
    started = time.monotonic()
    try:
        console.print(
            f"[bold]{name}[/]: starting Tansu, redis-server and {args.instances} instance(s) of the three services "
            f"(logs in {infra.log_dir})"
        )
        infra.start()
        for n in range(args.instances):
            stack = ServiceStack(infra, extra_env={"LOG_LEVEL": args.log_level}, instance=str(n + 1) if n else "")
            stacks.append(stack)
            stack.start()
        result = asyncio.run(drive(name, rate, seconds, args, infra, stacks))
        exited = [f"{name} #{s.instance}" if s.instance else name for s in stacks for name in s.exited()]
        unexpected = [e for e in exited if e not in result["killed_s_into_load"]]
        if unexpected:
            result["services_exited"] = unexpected
        return result
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave processes
        try:
            for stack in stacks:
                stack.stop()
            infra.stop()
        finally:
            signal.signal(signal.SIGINT, previous)
        console.print(f"[bold]{name}[/]: stack stopped ({time.monotonic() - started:.0f} s for the point)")


# --------------------------------------------------------------------------------------------- report


def fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.3f}{unit}" if unit == " s" else f"{value:,.1f}{unit}"


def print_report(points: list[dict[str, Any]]) -> None:
    def headed(title: str, first: str = "") -> Table:
        table = Table(title=title, title_justify="left")
        table.add_column(first)
        for p in points:
            table.add_column(
                f"{p['point']}\n{p['offered_rate_per_s']:g}/s for {p['offered_seconds']:g} s", justify="right"
            )
        return table

    main_table = headed("End-to-end load: signing POST → its entry read on partner.<id>.candidates.v1")

    def row(label: str, get: Any) -> None:
        main_table.add_row(label, *(get(p) for p in points))

    row("instances of each service", lambda p: str(p["instances"]))
    row("killed (s into the load)", lambda p: ", ".join(f"{k}: {v}" for k, v in p["killed_s_into_load"].items()) or "-")
    row("signings offered", lambda p: f"{p['signings_offered']:,}")
    row("generator rate achieved /s", lambda p: fmt(p["generator_rate_achieved_per_s"]))
    row("accepted (HTTP 202) /s", lambda p: fmt(p["accepted_per_s"]))
    row("  202s answered within the load window /s", lambda p: fmt(p["accepted_per_s_within_load_window"]))
    row("HTTP errors", lambda p: ", ".join(f"{k}: {v}" for k, v in p["http_errors"].items()) or "none")
    row("delivered to the partner /s", lambda p: fmt(p["delivered_per_s"]))
    row("  delivered within the load window /s", lambda p: fmt(p["delivered_per_s_within_load_window"]))
    row("never reached the partner (drain timeout)", lambda p: f"{p['not_delivered_within_drain_timeout']:,}")
    row("entries read twice for one referral", lambda p: f"{p['duplicate_entries']:,}")
    row("Kafka records written per signing", lambda p: fmt(p["kafka_records_per_signing"]))
    row(
        "ceiling: plain aiokafka produce / consume /s",
        lambda p: f"{p['kafka_ceiling']['produced_per_s']:,} / {p['kafka_ceiling']['consumed_per_s']:,}",
    )
    row(
        "our records/s as a share of the raw produce rate",
        lambda p: f"{100 * p['ratio_to_ceiling']['our_records_per_s_vs_raw_produce']:.1f} %",
    )
    for q in ("p50", "p95", "p99", "max"):
        row(f"latency to the partner {q}", lambda p, q=q: fmt(p["latency_e2e_s"][q], " s"))
    row(
        "latency to the 202, p50 / p99",
        lambda p: " / ".join(fmt(p["latency_http_202_s"][q], " s") for q in ("p50", "p99")),
    )
    row("generator slip p99 (client late)", lambda p: fmt(p["generator_slip_s"]["p99"], " s"))
    row(
        "waiting for a connection p50 / p99",
        lambda p: " / ".join(fmt(p["client_queue_s"][q], " s") for q in ("p50", "p99")),
    )
    row("all delivered, after the load", lambda p: fmt(p["drained_after_load_s"], " s"))
    row("other processes' CPU s during the load", lambda p: fmt(p["other_processes_during_load"]["cpu_s_total"]))
    row(
        "machine CPU busy % during load / after (steal)",
        lambda p: "{:.0f} / {:.0f} % ({:.0f} / {:.0f} %)".format(
            p["machine_cpu_pct"]["load"]["busy"],
            p["machine_cpu_pct"]["drain"]["busy"],
            p["machine_cpu_pct"]["load"]["steal"],
            p["machine_cpu_pct"]["drain"]["steal"],
        ),
    )
    console.print(main_table)

    lag = headed(
        "Consumer lag per group: at the end of the load → once every entry reached the partner and the groups "
        f"settled (up to {STALL_S:g} s more)",
        "group",
    )
    for group in sorted({g for p in points for g in p["consumer_lag_at_load_end"]}):
        lag.add_row(
            group,
            *(
                f"{p['consumer_lag_at_load_end'].get(group)} → {p['consumer_lag_after_drain'].get(group)}"
                for p in points
            ),
        )
    lag.add_row(
        "(groups at 0 after)",
        *(
            "not within the wait"
            if p["consumer_lag_settled_after_s"] is None
            else f"{p['consumer_lag_settled_after_s']} s"
            for p in points
        ),
    )
    console.print(lag)

    procs = headed(
        "Per process: CPU s during the load / after it until drained; mean % of a core during the load "
        "(peak 1-s %) / after it; peak RSS",
        "process",
    )
    for name in dict.fromkeys(n for p in points for n in p["processes"]):
        cells = []
        for p in points:
            u = p["processes"].get(name)
            cells.append(
                "-"
                if u is None
                else f"{u['cpu_s_load']:.1f} / {u['cpu_s_drain']:.1f} s, {u['cpu_pct_load_avg']:.0f} % "
                f"({fmt(u['cpu_pct_peak_1s'])}) / {u['cpu_pct_drain_avg']:.0f} %, {fmt(u['peak_rss_mib'])} MiB"
            )
        procs.add_row(name, *cells)
    console.print(procs)

    for p in points:
        handlers = Table(
            title=f"{p['point']}: consumers from the load's start until drained; handler time from /metrics (without "
            "the fetch and the commit after each message), busy % = handler time / wall time, summed over the "
            "process's consumers of the topic (above 100 when they work side by side)",
            title_justify="left",
        )
        for column in ("service", "topic", "messages", "mean handler ms", "handler busy %"):
            handlers.add_column(column, justify="left" if column in ("service", "topic") else "right")
        for c in p["consumers"]:
            handlers.add_row(
                c["service"],
                c["topic"],
                f"{c['handled']:,}",
                f"{c['handler_ms_mean']:.2f}",
                f"{c['handler_busy_pct']:.0f}",
            )
        console.print(handlers)
        redis = p["redis_commands_per_delivered_signing"]
        console.print(
            f"{p['point']}: Redis commands per delivered signing: {sum(redis.values()):.1f} ("
            + ", ".join(f"{name} {n:g}" for name, n in list(redis.items())[:8])
            + ")"
        )

    for p in points:
        if p["point"] == "saturation" or p["offered_rate_per_s"] >= TARGET_ACCEPTED_PER_S:
            ok = p["accepted_per_s"] >= TARGET_ACCEPTED_PER_S and p["delivered_per_s"] >= TARGET_ACCEPTED_PER_S
            console.print(
                f"target ≥ {TARGET_ACCEPTED_PER_S:,.0f} signings/s sustained: "
                f"{'met' if ok else 'NOT met'} (accepted {p['accepted_per_s']:,.0f}/s, "
                f"delivered {p['delivered_per_s']:,.0f}/s)"
            )
        if p["point"] == "latency":
            p99 = p["latency_e2e_s"]["p99"]
            ok = p99 is not None and p99 <= TARGET_P99_S and p["not_delivered_within_drain_timeout"] == 0
            verdict = "met" if ok else "NOT met"
            console.print(f"target p99 ≤ {TARGET_P99_S:g} s at 200/s: {verdict} (p99 {fmt(p99, ' s')})")


def source_version() -> dict[str, Any]:
    """The commit measured, and the files changed in the working tree since (they are measured too)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE)
        status = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=HERE)
    except OSError:
        return {"commit": "unknown", "changed": []}
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    return {"commit": commit.stdout.strip() if commit.returncode == 0 else "unknown", "changed": changed}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    source = source_version()  # the code the services run from
    results: list[dict[str, Any]] = []
    try:
        for name, rate, seconds in args.plan:
            results.append(run_point(name, rate, seconds, args))
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]: every process of the stack was stopped")
        return 130
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "wall_s": round(time.monotonic() - started, 1),
        "points": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_report(results)
    for p in results:
        busy = p["other_processes_during_load"]["top"][:3]
        if busy:
            console.print(
                f"{p['point']}: busiest other processes during the load: "
                + "; ".join(f"{b['cmd'][:60]} ({b['cpu_s']} CPU s)" for b in busy)
            )
    changed = ", ".join(source["changed"]) or "none"
    console.print(f"measured: commit {source['commit']}, changed in the working tree: {changed}")
    console.print(f"JSON: {args.output}   wall time {report['wall_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
