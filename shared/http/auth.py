"""Authentication and roles for the HTTP APIs: a bearer key on every request that is not public.

The app must set `app.state.admin_token` and `app.state.credentials` (a `shared.access.Credentials`)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.access import Credentials, KeyExpired
from shared.principals import Principal, Role

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer psk_…`")


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise _unauthorised("an API key is required (Authorization: Bearer …)")
    presented = credentials.credentials
    admin_token: str = request.app.state.admin_token
    if hmac.compare_digest(presented.encode(), admin_token.encode()):
        return Principal(Role.ADMIN)
    try:
        principal = await request.app.state.credentials.authenticate(presented)
    except KeyExpired as exc:
        raise _unauthorised(
            f"clé d'API expirée le {exc.expired_at:%d/%m/%Y} : demandez-en une nouvelle"
            f" / API key expired on {exc.expired_at.date().isoformat()}: ask for a new one"
        ) from exc
    if principal is None:
        if not await request.app.state.credentials.intact():
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "API keys are being rebuilt from the event log; retry shortly",
                headers={"Retry-After": "2"},
            )
        raise _unauthorised("unknown or revoked API key")
    return principal


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {allowed} role")
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
AuditorDep = Annotated[Principal, Depends(require(Role.AUDITOR))]
PartnerDep = Annotated[Principal, Depends(require(Role.PARTNER))]
OpsDep = Annotated[Principal, Depends(require(Role.OPS))]
AuditorOrPartnerDep = Annotated[Principal, Depends(require(Role.AUDITOR, Role.PARTNER))]


def key_holder(admin_token: str, credentials: Credentials) -> Callable[[bytes | None], Awaitable[str | None]]:
    """Who an Authorization header proves the caller is — "admin", or the API key's id — or None (no header,
    a malformed, unknown, revoked or expired key): what the idempotency records are kept under."""

    async def identify(header: bytes | None) -> str | None:
        if not header or not header.lower().startswith(b"bearer "):
            return None
        presented = header[7:].strip().decode("latin-1")
        if hmac.compare_digest(presented.encode(), admin_token.encode()):
            return "admin"
        try:
            principal = await credentials.authenticate(presented)
        except KeyExpired:
            return None
        return principal.key_id if principal is not None else None

    return identify
