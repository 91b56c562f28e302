"""Partners' openings: create, list, read, update; every change goes out on `programme.opening.v1`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.referrals.entrypoints.dependencies import ContextDep
from services.referrals.service_layer.commands import CreateOpening, UpdateOpening
from shared.contract.events import ProgrammeOpening
from shared.contract.events.bounded import Identifier, ProgrammeName
from shared.contract.events.profile import Department
from shared.http.auth import AuditorOrPartnerDep, PartnerDep
from shared.http.errors import KEYED, UNAVAILABLE, errors
from shared.principals import Principal, Role

router = APIRouter(prefix="/v1/openings", tags=["openings"], responses=errors(*UNAVAILABLE))


def _own(opening: ProgrammeOpening, partner: Principal) -> None:
    if opening.partner_id != partner.partner_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"a partner may only publish its own openings ({partner.partner_id})"
        )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgrammeOpening,
    responses={
        200: {"model": ProgrammeOpening, "description": "The same opening was already there: nothing changed"},
        **errors(400, *KEYED, 409),
    },
)
async def post_opening(
    opening: ProgrammeOpening, partner: PartnerDep, context: ContextDep, response: Response
) -> ProgrammeOpening:
    """A partner publishes one of its openings (repeating an identical create is harmless)."""
    _own(opening, partner)
    created = await context.bus.handle(CreateOpening(opening))
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/openings/{opening.opening_id}"
    return opening


class OpeningFilters(BaseModel):
    """What a catalogue reader narrows the list by; any other query parameter is refused (422)."""

    model_config = ConfigDict(extra="forbid")

    partner_id: Identifier | None = None
    programme: ProgrammeName | None = None
    department: Department | None = None
    starts_from: date | None = Field(None, description="Sessions starting on or after this date")
    starts_until: date | None = Field(None, description="Sessions starting on or before this date")
    has_seats: bool | None = Field(
        None, description="true: seats left (more seats than referrals under way); false: none left"
    )


@router.get("", response_model=list[ProgrammeOpening], responses=errors(400))
async def list_openings(filters: Annotated[OpeningFilters, Query()], context: ContextDep) -> list[ProgrammeOpening]:
    """The openings, by id, narrowed by partner, programme, département, start date and seats left."""
    found = []
    for opening in await context.store.list_openings():
        if filters.partner_id is not None and opening.partner_id != filters.partner_id:
            continue
        if filters.programme is not None and opening.programme != filters.programme:
            continue
        if filters.department is not None and opening.department != filters.department:
            continue
        if filters.starts_from is not None and opening.starts_on < filters.starts_from:
            continue
        if filters.starts_until is not None and opening.starts_on > filters.starts_until:
            continue
        if filters.has_seats is not None:
            left = opening.seats > await context.views.active_on(opening.opening_id)
            if left is not filters.has_seats:
                continue
        found.append(opening)
    return found


@router.get("/{opening_id}", response_model=ProgrammeOpening, responses=errors(404))
async def get_opening(opening_id: str, context: ContextDep) -> ProgrammeOpening:
    """One opening."""
    opening = await context.store.get_opening(opening_id)
    if opening is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"opening {opening_id} does not exist")
    return opening


@router.put("/{opening_id}", response_model=ProgrammeOpening, responses=errors(400, *KEYED, 404, 409))
async def put_opening(
    opening_id: str, opening: ProgrammeOpening, partner: PartnerDep, context: ContextDep
) -> ProgrammeOpening:
    """The partner replaces one of its openings (seats, dates, rules); matching sees it through the topic."""
    _own(opening, partner)
    if opening.opening_id != opening_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "opening_id"], "msg": "must equal the opening id in the path", "type": "value_error"}],
        )
    await context.bus.handle(UpdateOpening(opening))
    return opening


@router.get("/{opening_id}/review-flags", responses=errors(*KEYED, 404))
async def review_flags(
    opening_id: str, caller: AuditorOrPartnerDep, context: ContextDep
) -> list[dict[str, str | None]]:
    """Referrals a partner declined as 'not eligible': the opening's rules may need a look."""
    opening = await context.store.get_opening(opening_id)
    if opening is None or (caller.role is Role.PARTNER and caller.partner_id != opening.partner_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"opening {opening_id} does not exist")
    flags = await context.flags.of_opening(opening_id)
    if caller.role is Role.AUDITOR and caller.departments is not None:  # only their own territory's people
        views = [await context.views.get(str(flag["referral_id"])) for flag in flags]
        flags = [
            f for f, v in zip(flags, views, strict=True) if v is not None and caller.covers(v.candidate.department)
        ]
    return flags
