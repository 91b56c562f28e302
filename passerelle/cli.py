"""The `passerelle` command: run the stack, the demo, or create the topics."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from rich.console import Console

from passerelle.embedded.processes import StartupFailed
from passerelle.usage import EXIT_USAGE, UsageError

if TYPE_CHECKING:
    from passerelle.replay_command import ReplayReport

# Each command imports what it needs when it runs: `passerelle ops dlq list` need not load scikit-learn
# (the whole set took 3 s to import on a 2-core machine, on every call).
UP_PORTS = {"referrals": 8000, "matching": 8001, "notifications": 8002}  # PASSERELLE_<NAME>_PORT changes them
ROLE_NAMES = {"auditor": "auditeur OFII", "partner": "structure partenaire", "ops": "exploitation"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="passerelle", description="Referral matching for newcomer integration")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("up", help="run the whole stack in the foreground until Ctrl-C")
    commands.add_parser("demo", help="start the stack, run the demo scenario, stop")
    commands.add_parser("topics", help="create the contract's topics on KAFKA_BOOTSTRAP_SERVERS")
    match = commands.add_parser("match", help="every catalogue opening for one profile, eligible ones ranked")
    match.add_argument("profile", type=Path, metavar="PROFILE.json", help="a profile (or a CIR signing body)")
    match.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    match.add_argument("--catalogue", type=Path, help="openings JSON file (default: the shipped catalogue)")
    match.add_argument("--model", type=Path, metavar="MODEL.json", help="a trained model (default: the prior)")
    commands.add_parser("replay", help="rebuild the referral views in Redis from referral.event.v1")
    ops = commands.add_parser("ops", help="operators: watch the system, inspect and replay dead letters")
    ops_commands = ops.add_subparsers(dest="ops_command", required=True, metavar="OPS_COMMAND")
    watch_parser = ops_commands.add_parser("watch", help="services up/down, throughput, lag, dead letters")
    watch_parser.add_argument("--once", action="store_true", help="print one picture and exit")
    watch_parser.add_argument("--json", action="store_true", help="with --once: JSON for scripts")
    watch_parser.add_argument(
        "--api",
        metavar="URL",
        help="referrals' URL: read its /v1/ops/state (adds the funnel); key in PASSERELLE_OPS_KEY",
    )
    dlq = ops_commands.add_parser("dlq", help="dead letters on ops.dlq.v1")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="DLQ_COMMAND")
    dlq_list = dlq_commands.add_parser("list", help="every dead letter, oldest first")
    dlq_list.add_argument("--json", action="store_true")
    dlq_commands.add_parser("show", help="one dead letter with its headers and body").add_argument("id")
    dlq_commands.add_parser("replay", help="re-publish a dead letter to its original topic").add_argument("id")
    manifests = commands.add_parser("manifests", help="write deploy/kubernetes/ from the code")
    manifests.add_argument("--check", action="store_true", help="exit 1 if the committed manifests differ")
    docs = commands.add_parser(
        "asyncapi",
        help="write the services' AsyncAPI documents (deploy/asyncapi/) and topology tables (docs/architecture.md)",
    )
    docs.add_argument("--check", action="store_true", help="exit 1 if the committed documents differ from the code")
    imports = commands.add_parser("import", help="send a backlog of CIR signings (JSON lines) to referrals")
    imports.add_argument("signings", type=Path, metavar="SIGNINGS.jsonl", help="one signing per line")
    imports.add_argument("--url", default=os.environ.get("PASSERELLE_URL", "http://127.0.0.1:8000"),
                         help="referrals' base URL (default $PASSERELLE_URL or http://127.0.0.1:8000)")  # fmt: skip
    imports.add_argument("--key", default=os.environ.get("PASSERELLE_API_KEY"),
                         help="an auditor's API key (default $PASSERELLE_API_KEY)")  # fmt: skip
    imports.add_argument("--batch", type=int, default=500, help="lines per request (default 500)")
    imports.add_argument("--rejected", type=Path, metavar="REFUSED.jsonl", help="write the refused lines there")
    master = commands.add_parser("master-key", help="print a new master key for the MASTER_KEY setting")
    master.add_argument("--id", default="k1", help="the key's id, written beside every key it wraps (default k1)")
    assign = commands.add_parser("assign", help="optimal batch assignment of profiles to openings under capacity")
    assign.add_argument("--openings", type=Path, required=True, metavar="OPENINGS.jsonl")
    assign.add_argument("--profiles", type=Path, required=True, metavar="PROFILES.jsonl")
    assign.add_argument("--history", type=Path, metavar="HISTORY.jsonl",
                        help="past outcomes to learn from (learned once per history, then cached)")  # fmt: skip
    assign.add_argument("--model", type=Path, metavar="MODEL.json", help="a model written by passerelle train")
    assign.add_argument("--out", type=Path, metavar="ASSIGNMENTS.jsonl", help="default: standard output")
    assign.add_argument("--top-k", type=int, default=20, help="candidate openings kept per person (default 20)")
    train = commands.add_parser("train", help="learn the success model from past outcomes and write it")
    train.add_argument("--history", type=Path, required=True, metavar="HISTORY.jsonl")
    train.add_argument("--out", type=Path, required=True, metavar="MODEL.json")
    evaluate = commands.add_parser("evaluate", help="hold-out back-test on past referrals: FCFS, Passerelle, optimum")
    evaluate.add_argument("--history", type=Path, required=True, metavar="HISTORY.jsonl", help="oldest first")
    evaluate.add_argument("--out", type=Path, default=Path("evaluation.html"), metavar="REPORT.html")
    evaluate.add_argument("--holdout", type=float, default=0.3, help="share of the latest records replayed (0.3)")
    evaluate.add_argument("--seed", type=int, default=0)
    history = commands.add_parser("synthetic-history", help="write past referrals from the synthetic world")
    history.add_argument("--out", type=Path, required=True, metavar="HISTORY.jsonl")
    history.add_argument("--people", type=int, default=20_000)
    history.add_argument("--openings", type=int, default=200)
    history.add_argument("--seed", type=int, default=7)
    return parser


class _Interrupted(Exception):
    pass


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted()


def cmd_up(console: Console) -> int:
    from passerelle.infrastructure import Infrastructure
    from passerelle.seeding import DEMO_ACCOUNTS, DEMO_PASSWORD, seed
    from passerelle.stack import ServiceStack, follow_logs

    infrastructure = Infrastructure()
    ports = {
        name: int(os.environ.get(f"PASSERELLE_{name.upper()}_PORT", default)) for name, default in UP_PORTS.items()
    }
    stack = ServiceStack(infrastructure, log_format="console", ports=ports)
    stack.extra_env["CONSOLE_URL"] = stack.url("referrals")
    stop_logs = threading.Event()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        infrastructure.start()
        follow_logs(stack, stop_logs)
        stack.start()
        counts = seed(stack.url("referrals"))
        console.print(f"[bold green]Passerelle est démarré / is up[/] (journaux / logs: {infrastructure.log_dir})")
        console.print(
            f"  catalogue       {counts['openings']} sessions publiées, {counts['partners']} partenaires, "
            f"{counts['accounts']} comptes de démonstration"
        )
        console.print(f"  console         {stack.url('referrals')}/console")
        console.print(f"  comptes (mot de passe « {DEMO_PASSWORD} ») :")
        for account in DEMO_ACCOUNTS:
            console.print(f"    {account.login:<22} {account.name} — {ROLE_NAMES[account.role]}")
        console.print(f"  referrals API   {stack.url('referrals')}/docs")
        console.print(f"  matching        {stack.url('matching')}/health")
        console.print(f"  notifications   {stack.url('notifications')}/health")
        console.print(f"  Kafka           {infrastructure.kafka_bootstrap_servers}")
        console.print(f"  Redis           {infrastructure.redis_url}")
        console.print(
            "Ctrl-C arrête tout. Le broker embarqué garde tout en mémoire : rien n'est conservé après l'arrêt."
            " / Ctrl-C stops everything; the embedded broker keeps nothing after it."
        )
        while not stack.exited():
            threading.Event().wait(1.0)
        console.print(f"[red]service(s) exited:[/] {', '.join(stack.exited())}")
        return 1
    except _Interrupted:
        console.print("stopping…")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        infrastructure.stop()
        stop_logs.set()


def cmd_demo(console: Console) -> int:
    from passerelle.demo import run_demo
    from passerelle.infrastructure import Infrastructure
    from passerelle.stack import ServiceStack

    infrastructure = Infrastructure()
    stack = ServiceStack(infrastructure)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with console.status("starting Kafka (Tansu), Redis and the three services…"):
            infrastructure.start()
            stack.start()
        run_demo(stack, console)
        return 0
    except _Interrupted:
        return 130
    finally:
        stack.stop()
        infrastructure.stop()


def cmd_topics(console: Console) -> int:
    from shared.contract.topics import FIXED_TOPICS
    from shared.messaging.kafka_admin import ensure_topics

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        console.print("[red]KAFKA_BOOTSTRAP_SERVERS is not set[/]")
        return EXIT_USAGE
    created = asyncio.run(ensure_topics(bootstrap, FIXED_TOPICS, int(os.environ.get("KAFKA_REPLICATION_FACTOR", 1))))
    console.print(f"created: {', '.join(created) or 'none (all exist)'}")
    return 0


def _bootstrap() -> str:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        raise UsageError("KAFKA_BOOTSTRAP_SERVERS must be set (the Kafka the services use)")
    return bootstrap


def cmd_ops(args: argparse.Namespace, console: Console) -> int:
    from passerelle.ops.dead_letters import NoSuchDeadLetter, find, list_dead_letters, replay
    from passerelle.ops.watch import current_state, watch
    from passerelle.ops.watch import render as render_ops

    if args.ops_command == "watch":
        ops_key = os.environ.get("PASSERELLE_OPS_KEY")
        if args.api and not ops_key:
            raise UsageError("--api needs an ops key in PASSERELLE_OPS_KEY")
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "") if args.api else _bootstrap()
        if args.json and not args.once:
            raise UsageError("--json needs --once")
        if args.once:
            state = asyncio.run(current_state(bootstrap, args.api, ops_key))
            if args.json:
                print(json.dumps(state.as_dict(), indent=2))
            else:
                console.print(render_ops(state))
            return 0
        try:
            asyncio.run(watch(bootstrap, console, args.api, ops_key))
        except KeyboardInterrupt:
            return 0
        return 0
    bootstrap = _bootstrap()
    try:
        if args.dlq_command == "list":
            letters = asyncio.run(list_dead_letters(bootstrap))
            if args.json:
                print(json.dumps([d.summary() for d in letters], indent=2))
            else:
                for d in letters:
                    console.print(f"{d.id:>8}  {d.original_topic:<24} {d.service:<14} {d.error[:90]}", highlight=False)
            return 0
        if args.dlq_command == "show":
            print(json.dumps(asyncio.run(find(bootstrap, args.id)).detail(), indent=2, ensure_ascii=False))
            return 0
        letter = asyncio.run(replay(bootstrap, args.id))
        console.print(f"replayed {letter.id} to {letter.original_topic}")
        return 0
    except NoSuchDeadLetter as exc:
        raise UsageError(str(exc)) from exc


def cmd_manifests(check: bool, console: Console) -> int:
    from passerelle import kubernetes_manifests

    if check:
        stale = [
            name for name, documents in kubernetes_manifests.files().items()
            if (kubernetes_manifests.OUT_DIR / name).read_text() != kubernetes_manifests.render(documents)
        ]  # fmt: skip
        if stale:
            sys.stderr.write(f"error: manifests out of date: {', '.join(stale)} (run `make manifests`)\n")
            return 1
        console.print("Kubernetes manifests match the code")
        return 0
    for path in kubernetes_manifests.write():
        console.print(f"wrote {path}")
    return 0


def cmd_asyncapi(check: bool, console: Console) -> int:
    from passerelle import architecture_tables
    from passerelle.asyncapi_docs import DOCS_DIR, SERVICES, export, render

    if check:
        stale = [s for s in SERVICES if (DOCS_DIR / f"{s}.json").read_text() != render(s)]
        architecture = architecture_tables.ARCHITECTURE.read_text()
        if architecture_tables.render(architecture) != architecture:
            stale.append("docs/architecture.md")
        if stale:
            sys.stderr.write(f"error: AsyncAPI documents out of date: {', '.join(stale)} (run `make asyncapi`)\n")
            return 1
        console.print("AsyncAPI documents match the code")
        return 0
    for path in [*export(), architecture_tables.export()]:
        console.print(f"wrote {path}")
    return 0


async def _replay(bootstrap: str, redis_url: str, progress: Callable[[int, int], None]) -> ReplayReport:
    from passerelle.replay_command import replay_referral_views
    from shared.messaging.projections import KafkaEventLog
    from shared.redis_factory import make_redis

    redis = make_redis(redis_url)
    try:
        return await replay_referral_views(KafkaEventLog(bootstrap), redis, progress)
    finally:
        await redis.aclose()


def cmd_replay(console: Console) -> int:
    from rich.progress import Progress

    bootstrap, redis_url = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("REDIS_URL")
    if not bootstrap or not redis_url:
        sys.stderr.write("error: KAFKA_BOOTSTRAP_SERVERS and REDIS_URL must both be set\n")
        return EXIT_USAGE
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("replaying referral.event.v1", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = asyncio.run(_replay(bootstrap, redis_url, advance))
    console.print(
        f"read {report.read} events, applied {report.applied}, skipped {report.skipped}; {report.views} referral views"
    )
    return 0


def cmd_master_key(key_id: str) -> int:
    """A new master key (32 random bytes) in MASTER_KEY's format, on standard output only."""
    from services.referrals.domain.sealing import MASTER_KEY_ID, MasterKey

    if not MASTER_KEY_ID.match(key_id):
        raise UsageError(
            f"--id {key_id!r} : 1 à 40 lettres, chiffres, '.', '_' ou '-' / 1 to 40 letters, digits, '.', '_' or '-'"
        )
    sys.stdout.write(MasterKey.generate(key_id) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 140)
    try:
        if args.command == "up":
            return cmd_up(console)
        if args.command == "demo":
            return cmd_demo(console)
        if args.command == "match":
            from passerelle.match_command import run_match

            return run_match(args.profile, args.json, args.catalogue, console, args.model)
        if args.command == "ops":
            return cmd_ops(args, console)
        if args.command == "manifests":
            return cmd_manifests(args.check, console)
        if args.command == "asyncapi":
            return cmd_asyncapi(args.check, console)
        if args.command == "replay":
            return cmd_replay(console)
        if args.command == "import":
            from passerelle.import_command import run_import

            return run_import(args.signings, args.url, args.key, args.batch, args.rejected, console)
        if args.command == "master-key":
            return cmd_master_key(args.id)
        if args.command == "assign":
            from passerelle.assign_command import run_assign

            return run_assign(
                args.openings, args.profiles, args.history, args.out, args.top_k, Console(stderr=True), args.model
            )
        if args.command == "train":
            from passerelle.train_command import run_train

            return run_train(args.history, args.out, console)
        if args.command == "evaluate":
            from passerelle.evaluate_command import run_evaluate

            return run_evaluate(args.history, args.out, args.holdout, args.seed, Console(stderr=True), console)
        if args.command == "synthetic-history":
            from passerelle.evaluate_command import run_synthetic_history

            return run_synthetic_history(args.out, args.people, args.openings, args.seed, console)
        return cmd_topics(console)
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except StartupFailed as exc:
        console.print(f"[red]could not start:[/] {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
