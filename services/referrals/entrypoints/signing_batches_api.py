"""`POST /v1/cir-signings/batch`: a backlog of CIR signings handed over by another system, as JSON lines.

Each line is one signing, answered on its own: accepted, duplicate (the same signing was there), invalid
(422, with the fields that are wrong), conflict (409: another signing under that id, or erased) or
forbidden (403: outside the caller's territory). A bad line damages nothing and stops nothing; the
answer lists every line in order. Lines are recorded concurrently, those naming the same person in the
order they come. Repeating a whole batch is safe: what was recorded answers `duplicate`."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field, ValidationError

from services.referrals.domain.errors import Conflict, InvalidFields
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.entrypoints.dependencies import ContextDep, ReferralsContext
from services.referrals.entrypoints.signings_api import OUTSIDE_TERRITORY
from services.referrals.entrypoints.territory import conflict_detail
from services.referrals.service_layer.commands import RecordSigning
from shared.http.auth import AuditorDep
from shared.http.errors import KEYED, UNAVAILABLE, errors
from shared.http.request_limits import MAX_ERRORS, field_error
from shared.principals import Principal

router = APIRouter(prefix="/v1", tags=["signings"], responses=errors(*KEYED, *UNAVAILABLE))
CONCURRENCY = 32  # lines in flight at once: enough to keep the broker's round trips overlapping
NDJSON = "application/x-ndjson"


class LineStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"


class LineResult(BaseModel):
    line: int = Field(description="1 for the first line of the body")
    status: LineStatus
    beneficiary_id: str | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list, description="For `invalid`: loc, msg, type")
    detail: str | None = Field(None, description="For `conflict` and `forbidden`: why")


class BatchResult(BaseModel):
    counts: dict[LineStatus, int]
    results: list[LineResult]


class Line(BaseModel):
    number: int
    signing: CirSigningCreate


def _parse(number: int, text: str) -> Line | LineResult:
    """One line, judged alone: whatever it holds, it is its own result, never a failure of the batch."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        problem = {"loc": ["body", number], "msg": "ligne JSON invalide / not a JSON line", "type": "json_invalid"}
        return LineResult(line=number, status=LineStatus.INVALID, errors=[problem])
    try:
        return Line(number=number, signing=CirSigningCreate.model_validate(raw))
    except ValidationError as exc:
        found = [field_error(dict(e)) for e in exc.errors()[:MAX_ERRORS]]
        beneficiary = raw.get("beneficiary_id") if isinstance(raw, dict) else None
        return LineResult(
            line=number,
            status=LineStatus.INVALID,
            beneficiary_id=beneficiary if isinstance(beneficiary, str) and len(beneficiary) <= 64 else None,
            errors=[e | {"loc": ["body", number, *e["loc"]]} for e in found],
        )


async def _record(line: Line, auditor: Principal, context: ReferralsContext) -> LineResult:
    signing = line.signing
    answer: dict[str, Any] = {"line": line.number, "beneficiary_id": signing.beneficiary_id}
    if not auditor.covers(signing.department):
        return LineResult(**answer, status=LineStatus.FORBIDDEN, detail=OUTSIDE_TERRITORY)
    try:
        created = await context.bus.handle(RecordSigning(signing, auditor.actor, context.clock()))
    except InvalidFields as exc:
        found = [
            {"loc": ["body", line.number, *loc], "msg": message, "type": "value_error"} for loc, message in exc.problems
        ]
        return LineResult(**answer, status=LineStatus.INVALID, errors=found)
    except Conflict as exc:
        return LineResult(**answer, status=LineStatus.CONFLICT, detail=conflict_detail(auditor, exc))
    return LineResult(**answer, status=LineStatus.ACCEPTED if created else LineStatus.DUPLICATE)


async def record_lines(lines: list[Line], auditor: Principal, context: ReferralsContext) -> list[LineResult]:
    """Every line, `CONCURRENCY` people at a time; one person's lines one after the other, in order."""
    by_person: dict[str, list[Line]] = {}
    for line in lines:
        by_person.setdefault(line.signing.beneficiary_id, []).append(line)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def person(theirs: list[Line]) -> list[LineResult]:
        async with gate:
            return [await _record(line, auditor, context) for line in theirs]

    done = await asyncio.gather(*(person(theirs) for theirs in by_person.values()))
    return [result for results in done for result in results]


@router.post(
    "/cir-signings/batch",
    response_model=BatchResult,
    responses=errors(400, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One CIR signing per line, as the body of POST /v1/cir-signings (JSON lines)",
            "content": {NDJSON: {"schema": {"type": "string"}}},
        }
    },
)
async def post_signing_batch(request: Request, auditor: AuditorDep, context: ContextDep) -> BatchResult:
    """Record many CIR signings at once (a backlog): one result per line, in the body's order. Blank lines
    are skipped; at most MAX_BATCH_LINES lines (413 beyond, nothing recorded)."""
    body = await request.body()
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "le corps n'est pas en UTF-8 / body is not UTF-8") from None
    # Lines end at \n only (and a \r before it): str.splitlines() also cuts at U+2028, U+2029, \x1c…, which
    # JSON allows inside a string, and would judge half a signing as a line.
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    limit: int = request.app.state.max_batch_lines
    if len(numbered) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(numbered)} lignes : {limit} au plus par lot / {len(numbered)} lines: at most {limit} per batch",
        )
    parsed = [_parse(number, line) for number, line in numbered]
    recorded = await record_lines([p for p in parsed if isinstance(p, Line)], auditor, context)
    results = sorted([*(p for p in parsed if isinstance(p, LineResult)), *recorded], key=lambda r: r.line)
    counts = Counter(r.status for r in results)
    return BatchResult(counts={s: counts.get(s, 0) for s in LineStatus}, results=results)
