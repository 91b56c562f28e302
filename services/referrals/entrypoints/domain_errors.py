"""How the use cases' refusals are answered on HTTP: 404, 409 (with the current status), 410 (erased), 422 by field."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.referrals.domain.errors import Conflict, Erased, InvalidFields, NotFound
from services.referrals.domain.lifecycle import IllegalTransition


def add_domain_error_answers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(Erased)
    async def erased(request: Request, exc: Erased) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_410_GONE)

    @app.exception_handler(IllegalTransition)
    async def illegal(request: Request, exc: IllegalTransition) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc), "current_status": exc.current.value}, status_code=status.HTTP_409_CONFLICT
        )

    @app.exception_handler(InvalidFields)
    async def invalid_fields(request: Request, exc: InvalidFields) -> JSONResponse:
        return JSONResponse({"detail": exc.as_detail()}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_409_CONFLICT)
