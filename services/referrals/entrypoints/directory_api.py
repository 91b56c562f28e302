"""The catalogue for services directories, as Open Referral HSDS 3.1."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.referrals.domain.hsds import hsds_page, hsds_service
from services.referrals.entrypoints.dependencies import ContextDep
from shared.http_errors import UNAVAILABLE, errors

router = APIRouter(prefix="/v1/hsds", tags=["directory"], responses=errors(*UNAVAILABLE))


@router.get("/services")
async def list_hsds_services(
    context: ContextDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Every opening as an HSDS service with its organization, location and seat capacity."""
    now = context.clock()
    services = []
    for opening in await context.store.list_openings():
        taken = await context.views.active_on(opening.opening_id)
        services.append(hsds_service(opening, max(opening.seats - taken, 0), now))
    return hsds_page(services, page, per_page)
