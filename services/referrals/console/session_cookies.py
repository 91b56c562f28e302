"""The console's cookies, as ASGI middleware. A signed-in person's session lives on the server
(`ConsoleSessions`): the cookie is only its random id. Before signing in (the sign-in form's CSRF token,
the language, the OpenID Connect state, an e-mail link's next message) the few values are kept in a signed
cookie instead, so that anonymous visits write nothing to Redis; nothing in it can sign anyone in.

`request.session` is the dictionary of whichever applies (Authlib and the pages use it as with Starlette's
SessionMiddleware); `session_of(request)` says whose session it is, and signs in or out."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.referrals.adapters.console_sessions import ConsoleSession, ConsoleSessions

VISIT_MAX_AGE_S = 3600
SCOPE_KEY = "console_session"


@dataclass
class SessionHandle:
    sessions: ConsoleSessions
    scope: Scope
    current: ConsoleSession | None
    opened_id: str | None = None
    ended: bool = False

    async def open(self, login: str, data: dict[str, str]) -> None:
        """A new session for `login` (any session of this browser ended first: no fixation)."""
        if self.current is not None:
            await self.sessions.end(self.current)
        self.opened_id, self.current = await self.sessions.open(login, data)
        self.ended = False
        self.scope["session"] = self.current.data

    async def end(self) -> None:
        if self.current is not None:
            await self.sessions.end(self.current)
        self.current, self.opened_id, self.ended = None, None, True
        self.scope["session"] = {}


def session_of(connection: HTTPConnection) -> SessionHandle:
    handle: SessionHandle = connection.scope[SCOPE_KEY]
    return handle


class ConsoleSessionCookies:
    def __init__(self, app: ASGIApp, sessions: ConsoleSessions, secret: str, secure: bool) -> None:
        self.app = app
        self.sessions = sessions
        self.secure = secure
        prefix = "__Host-" if secure else ""  # __Host-: Secure, Path=/, no Domain, set only over HTTPS
        self.session_cookie = f"{prefix}passerelle_session"
        self.visit_cookie = f"{prefix}passerelle_visit"
        self.signer = TimestampSigner(secret, salt="passerelle-console-visit")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = HTTPConnection(scope).cookies
        presented = cookies.get(self.session_cookie)
        current = await self.sessions.read(presented) if presented else None
        handle = SessionHandle(self.sessions, scope, current)
        scope[SCOPE_KEY] = handle
        scope["session"] = current.data if current else self._visit(cookies.get(self.visit_cookie))
        before = json.dumps(scope["session"], sort_keys=True)
        had_visit = self.visit_cookie in cookies

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                await self._settle(handle, scope["session"], before, headers, bool(presented), had_visit)
            await send(message)

        await self.app(scope, receive, sending)

    async def _settle(
        self, handle: SessionHandle, data: dict[str, Any], before: str, headers: MutableHeaders, presented: bool,
        had_visit: bool,
    ) -> None:  # fmt: skip
        changed = json.dumps(data, sort_keys=True) != before
        if handle.opened_id is not None and handle.current is not None:
            handle.current.data = dict(data)  # what the request added after signing in
            await self.sessions.save(handle.current)
            headers.append("Set-Cookie", self._cookie(self.session_cookie, handle.opened_id))
            if had_visit:
                headers.append("Set-Cookie", self._cookie(self.visit_cookie, "", expire=True))
        elif handle.current is not None:
            if changed:
                handle.current.data = dict(data)
                await self.sessions.save(handle.current)
        else:
            if presented or handle.ended:  # a dead id: forget it
                headers.append("Set-Cookie", self._cookie(self.session_cookie, "", expire=True))
            if changed and data:
                value = self.signer.sign(base64.urlsafe_b64encode(json.dumps(data).encode())).decode()
                headers.append("Set-Cookie", self._cookie(self.visit_cookie, value, max_age=VISIT_MAX_AGE_S))
            elif changed and had_visit:
                headers.append("Set-Cookie", self._cookie(self.visit_cookie, "", expire=True))

    def _visit(self, value: str | None) -> dict[str, Any]:
        if not value:
            return {}
        try:
            payload = self.signer.unsign(value.encode(), max_age=VISIT_MAX_AGE_S)
            data = json.loads(base64.urlsafe_b64decode(payload))
        except (BadSignature, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _cookie(self, name: str, value: str, *, max_age: int | None = None, expire: bool = False) -> str:
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if expire:
            parts.append("Max-Age=0")
        elif max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
