"""The error answers of the HTTP APIs, declared in their OpenAPI documents.

Every error body is FastAPI's `{"detail": …}`: a sentence, or for 422 the list of field errors FastAPI
documents by itself. An illegal lifecycle move (409) also says the referral's `current_status`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    detail: str = Field(description="What is wrong, in a sentence")
    current_status: str | None = Field(None, description="On a refused lifecycle move: the referral's status")


MEANING = {
    400: "The body is not JSON at all",
    401: "No API key, or an unknown or revoked one",
    403: "The key's role, or its partner, may not do this",
    404: "No such resource (or not one this caller may see)",
    409: "In conflict with what is recorded (exists with other values, or not possible from the current status)",
    410: "The person's data was erased (RGPD art. 17): the answer says when",
    413: "The request body is over the size limit (MAX_REQUEST_BYTES), or its event over the message bus's",
    503: "The message bus is unavailable, or the service is rebuilding its state: retry after Retry-After",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses."""
    return {code: {"model": ErrorBody, "description": MEANING[code]} for code in codes}


KEYED = (401, 403)  # every operation behind an API key
UNAVAILABLE = (413, 503)  # every /v1 operation: the body limit, the state gate, and the bus for those that publish
