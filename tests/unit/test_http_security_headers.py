"""The headers and cookies of production on a bare app: HSTS on every answer, the security headers kept
when a route set its own, no-store everywhere but static files, and a pre-sign-in cookie that is
`__Host-`, Secure, HttpOnly and SameSite=Lax. (The shared stack runs in development: these are the
production side of issue 30, classes 3 and 4.)"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from services.referrals.console.session_cookies import ConsoleSessionCookies
from shared.http.security_headers import SecurityHeaders


class NoSessions:
    """Anonymous visits never reach the store: any call here fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the session store was called ({name}) for an anonymous visit")


def _app(hsts: bool, secure: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/console/page")
    async def console_page(request: Request) -> PlainTextResponse:
        request.session["csrf"] = "jeton"
        return PlainTextResponse("page", headers={"X-Frame-Options": "SAMEORIGIN"})

    @app.get("/static/x.css")
    async def static() -> PlainTextResponse:
        return PlainTextResponse("body {}")

    app.add_middleware(ConsoleSessionCookies, sessions=NoSessions(), secret="s" * 32, secure=secure)
    app.add_middleware(SecurityHeaders, hsts=hsts)
    return app


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://passerelle.test") as c:
        return await c.get(path)


async def test_production_answers_carry_hsts_and_a_host_prefixed_secure_cookie() -> None:
    page = await _get(_app(hsts=True, secure=True), "/console/page")
    assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "SAMEORIGIN"  # a route's own header is kept, not doubled
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-passerelle_visit=")
    assert all(part in cookie for part in ("; Path=/", "; HttpOnly", "; SameSite=Lax", "; Secure"))
    assert "Domain=" not in cookie


async def test_development_sends_no_hsts_and_static_files_may_be_cached() -> None:
    app = _app(hsts=False, secure=False)
    page, static = await _get(app, "/console/page"), await _get(app, "/static/x.css")
    assert "strict-transport-security" not in page.headers
    assert page.headers["set-cookie"].startswith("passerelle_visit=") and "Secure" not in page.headers["set-cookie"]
    assert "cache-control" not in static.headers
    assert "frame-ancestors 'none'" in static.headers["content-security-policy"]
