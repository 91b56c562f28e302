"""The operators' dashboard, in French, for people signed in with an ops account: services up or down,
consumer lag, dead letters, and charts over the last hour. The tables refresh every 10 seconds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.referrals.console.charts import line_chart
from services.referrals.console.rendering import page
from services.referrals.console.sessions import OpsPerson
from shared.ops.history import last_hour

router = APIRouter(prefix="/console/exploitation", include_in_schema=False)


async def _context(request: Request) -> dict[str, Any]:
    picture, sampler = request.app.state.ops_picture, request.app.state.lag_sampler
    state = picture.state(await sampler.latest())
    history = last_hour(picture, sampler)
    charts = [line_chart(history.signings), line_chart(history.p99, "#b34000"),
              line_chart(history.dead_letters, "#c9191e")]  # fmt: skip
    lag_charts = [line_chart(series, "#18753c") for series in history.lag.values()]
    return {"state": state, "charts": charts, "lag_charts": lag_charts, "history": history}


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, ops: OpsPerson) -> HTMLResponse:
    request.state.person = ops
    return page(request, "ops.html", **await _context(request))


@router.get("/tableau", response_class=HTMLResponse)
async def fragment(request: Request, ops: OpsPerson) -> HTMLResponse:
    """The part of the page that refreshes by itself."""
    return page(request, "_ops_tables.html", **await _context(request))
