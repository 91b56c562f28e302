"""`passerelle ops watch`: services up or down, throughput, lag, dead letters — live, or once as JSON."""

from __future__ import annotations

import asyncio

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from shared.ops.picture import collect
from shared.ops.state import DeadLetterSummary, InstanceState, OpsState


def render(state: OpsState) -> Group:
    services = Table(title=f"Services ({state.at[:19]} UTC)", title_justify="left")
    for column in ("service", "instance", "status", "last seen", "in", "out", "errors", "dead", "p99 ms"):
        services.add_column(column)
    for i in state.instances:
        colour = "green" if i.status == "up" else "red"
        services.add_row(
            i.service, i.instance, f"[{colour}]{i.status}[/]", f"{i.last_seen_s:.0f} s ago", str(i.messages_in),
            str(i.messages_out), str(i.errors), str(i.dead_letters), "-" if i.p99_ms is None else f"{i.p99_ms:.1f}",
        )  # fmt: skip
    flow = Table(title="Throughput since start (per topic)", title_justify="left")
    flow.add_column("topic")
    flow.add_column("consumed", justify="right")
    flow.add_column("published", justify="right")
    for topic in sorted(set(state.throughput_in) | set(state.throughput_out)):
        flow.add_row(topic, str(state.throughput_in.get(topic, 0)), str(state.throughput_out.get(topic, 0)))
    lag = Table(title="Consumer lag", title_justify="left")
    lag.add_column("group")
    lag.add_column("lag", justify="right")
    for group, value in sorted(state.lag.items()):
        lag.add_row(group, "?" if value is None else str(value))
    dead = Table(title=f"Dead letters: {state.dead_letters} (last 5)", title_justify="left")
    for column in ("id", "topic", "service", "error"):
        dead.add_column(column)
    for d in state.last_dead_letters:
        dead.add_row(f"{d.partition}:{d.offset}", d.topic, d.service, d.error)
    funnel = Table(title="Referral funnel", title_justify="left")
    for column in ("programme", "proposed", "accepted", "enrolled", "completed", "employed"):
        funnel.add_column(column)
    for programme, n in sorted(state.funnel.items()):
        funnel.add_row(
            programme, *(str(n.get(k, 0)) for k in ("proposed", "accepted", "enrolled", "completed", "employed"))
        )
    return Group(services, flow, lag, dead, funnel)


async def current_state(bootstrap: str, api_url: str | None, ops_key: str | None) -> OpsState:
    """From referrals' /v1/ops/state when an API and an ops key are given (it adds the funnel), else
    straight from the topics."""
    if api_url and ops_key:
        async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
            response = await client.get("/v1/ops/state", headers={"Authorization": f"Bearer {ops_key}"})
            response.raise_for_status()
            data = response.json()
        state = OpsState(at=data["at"], throughput_in=data["throughput_in"], throughput_out=data["throughput_out"],
                         lag=data["lag"], dead_letters=data["dead_letters"], funnel=data["funnel"],
                         problems=data.get("problems", []))  # fmt: skip
        state.instances = [InstanceState(**i) for i in data["instances"]]
        state.last_dead_letters = [DeadLetterSummary(**d) for d in data["last_dead_letters"]]
        return state
    return await collect(bootstrap)


async def watch(
    bootstrap: str, console: Console, api_url: str | None, ops_key: str | None, interval_s: float = 2.0
) -> None:
    with Live(render(await current_state(bootstrap, api_url, ops_key)), console=console, refresh_per_second=1) as live:
        while True:
            await asyncio.sleep(interval_s)
            live.update(render(await current_state(bootstrap, api_url, ops_key)))
