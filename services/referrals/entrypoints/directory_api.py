"""The catalogue for services directories: Open Referral HSDS 3.1 and data·inclusion (schéma v1). Public."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.referrals.entrypoints.dependencies import ContextDep, ReferralsContext
from services.referrals.exports.data_inclusion import di_page, di_service, di_structures
from services.referrals.exports.hsds import hsds_page, hsds_service
from shared.contract.events import ProgrammeOpening
from shared.http.errors import UNAVAILABLE, errors

router = APIRouter(tags=["directory"], responses=errors(*UNAVAILABLE))
Page = Annotated[int, Query(ge=1)]
Size = Annotated[int, Query(ge=1, le=500, description="Items per page (data·inclusion's `size`)")]


async def _with_seats_left(context: ReferralsContext) -> list[tuple[ProgrammeOpening, int]]:
    openings = await context.store.list_openings()
    return [(o, max(o.seats - await context.views.active_on(o.opening_id), 0)) for o in openings]


@router.get("/v1/hsds/services")
async def list_hsds_services(
    context: ContextDep,
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Every opening as an HSDS service with its organization, location and seat capacity."""
    now = context.clock()
    services = [hsds_service(opening, left, now) for opening, left in await _with_seats_left(context)]
    return hsds_page(services, page, per_page)


@router.get("/v1/data-inclusion/structures")
async def list_data_inclusion_structures(context: ContextDep, page: Page = 1, size: Size = 50) -> dict[str, Any]:
    """Les partenaires, une structure data·inclusion chacun (items, total, page, size, pages)."""
    structures = di_structures(await context.store.list_openings(), context.clock().date())
    return di_page(structures, page, size)


@router.get("/v1/data-inclusion/services")
async def list_data_inclusion_services(context: ContextDep, page: Page = 1, size: Size = 50) -> dict[str, Any]:
    """Chaque session ouverte, un service data·inclusion (items, total, page, size, pages)."""
    today = context.clock().date()
    services = [di_service(opening, left, today) for opening, left in await _with_seats_left(context)]
    return di_page(services, page, size)
