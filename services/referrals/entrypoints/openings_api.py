"""Partners' openings: create, list, read, update; every change goes out on `programme.opening.v1`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from services.referrals.entrypoints.dependencies import ContextDep
from services.referrals.service_layer.commands import CreateOpening, UpdateOpening
from shared.access import Principal, Role
from shared.events import ProgrammeOpening
from shared.http_auth import AuditorOrPartnerDep, PartnerDep
from shared.http_errors import KEYED, UNAVAILABLE, errors

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


@router.get("", response_model=list[ProgrammeOpening])
async def list_openings(context: ContextDep) -> list[ProgrammeOpening]:
    """All openings, by id."""
    return await context.store.list_openings()


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
    return await context.flags.of_opening(opening_id)
