"""The operators' read-only view: the live dashboard at /ops and the data it refreshes from."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shared.http.auth import OpsDep
from shared.http.errors import KEYED, errors

router = APIRouter(tags=["ops"])
PAGE = resources.files("services.referrals.entrypoints").joinpath("ops_dashboard.html").read_text()


@router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The dashboard page; its data needs an ops key."""
    return HTMLResponse(PAGE)


@router.get("/v1/ops/state", responses=errors(*KEYED))
async def ops_state(ops: OpsDep, request: Request) -> dict[str, Any]:
    """Services up or down, throughput, consumer lag, dead letters (ops.* topics), the referral funnel, and
    what could not be read (`problems`)."""
    state = request.app.state.ops_picture.state(await request.app.state.lag_sampler.latest())
    state.funnel = await request.app.state.context.views.funnel()
    return state.as_dict()
