"""What an HTTP client is told when the message bus refuses a publish: 413 when the event can never fit
(a retry cannot succeed), 503 with Retry-After when the bus is away or busy (a retry can)."""

from __future__ import annotations

from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

RETRY_AFTER_S = "5"
NEVER_FITS = (MessageSizeTooLargeError, RecordTooLargeError)


def bus_error_answer(exc: KafkaError) -> JSONResponse:
    if isinstance(exc, NEVER_FITS):
        return JSONResponse(
            {"detail": "l'événement dépasse la taille admise par le bus de messages ; rien n'a été enregistré"
                       " / the event is larger than the message bus accepts; nothing was recorded"},
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )  # fmt: skip
    return JSONResponse(
        {"detail": f"bus de messages indisponible, réessayez / message bus unavailable, retry: {type(exc).__name__}"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": RETRY_AFTER_S},
    )


def add_bus_error_answers(app: FastAPI) -> None:
    @app.exception_handler(KafkaError)
    async def bus_refused(request: Request, exc: KafkaError) -> JSONResponse:
        return bus_error_answer(exc)
