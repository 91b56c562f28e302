"""The console's plumbing: templates with their French filters, static files (ours and Swagger UI's, so
nothing comes from a CDN), the session cookie, and the sign-in pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, FastAPI, Form, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.referrals.adapters.accounts import Accounts
from services.referrals.adapters.console_sessions import ConsoleSessions
from services.referrals.adapters.password_hashing import HashingBusy
from services.referrals.console import (
    auditor_pages,
    link_pages,
    oidc_pages,
    ops_pages,
    partner_pages,
    partner_settings_pages,
)
from services.referrals.console.occupations import OccupationReferential
from services.referrals.console.rendering import HERE, HOME_OF_ROLE, page, templates
from services.referrals.console.session_cookies import ConsoleSessionCookies
from services.referrals.console.sessions import (
    SignInRequired,
    check_csrf,
    sign_in,
    sign_out,
    signed_in_account,
)
from services.referrals.service_layer.sign_in import AccountDisabled, PasswordSignIn, SignInRefused, TooManyAttempts


def _safe_next(next_url: str | None) -> str:
    """Only a path of this site (no '//host' or scheme): no open redirect after sign-in."""
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return "/console"


router = APIRouter(include_in_schema=False)


SESSION_ENDED = "Votre session a pris fin : connectez-vous pour continuer."
SENT_LOST = (
    "Votre session a pris fin avant votre envoi : il n'a pas été enregistré. Connectez-vous, puis saisissez-le"
    " de nouveau."
)


@router.get("/connexion", response_class=HTMLResponse)
async def sign_in_form(request: Request, suivant: str | None = None, envoi: str | None = None) -> HTMLResponse:
    """The sign-in form; coming back from a page of the console, it says why (the session ended)."""
    why = SENT_LOST if envoi == "perdu" else SESSION_ENDED if suivant else None
    return page(request, "sign_in.html", next_url=_safe_next(suivant), error=None, login="", why=why)


@router.post("/connexion", response_class=HTMLResponse)
async def sign_in_submit(
    request: Request,
    identifiant: str = Form(""),
    mot_de_passe: str = Form(""),
    suivant: str = Form("/console"),
) -> Response:
    await check_csrf(request)
    password_sign_in: PasswordSignIn = request.app.state.sign_in
    client = request.client.host if request.client else "unknown"
    try:
        account = await password_sign_in(identifiant[:80], mot_de_passe[:200], client)
    except SignInRefused as exc:
        code, error, headers = _refusal(exc)
        refused = page(
            request, "sign_in.html", status_code=code, next_url=_safe_next(suivant), error=error, login=identifiant[:80]
        )
        refused.headers.update(headers)
        return refused
    except HashingBusy:
        busy = page(
            request, "sign_in.html", status_code=status.HTTP_503_SERVICE_UNAVAILABLE, next_url=_safe_next(suivant),
            error=BUSY, login=identifiant[:80],
        )  # fmt: skip
        busy.headers["Retry-After"] = "2"
        return busy
    await sign_in(request, account)
    target = _safe_next(suivant)
    if target == "/console":
        target = HOME_OF_ROLE[account.role]
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


BUSY = "Le service est très sollicité : réessayez dans un instant. / The service is busy: try again in a moment."


def _refusal(exc: SignInRefused) -> tuple[int, str, dict[str, str]]:
    """The status, the message (French, then English) and the headers of a refused sign-in."""
    if isinstance(exc, TooManyAttempts):
        wait = exc.retry_after_s
        return (
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Trop de tentatives : réessayez dans {wait} secondes. / Too many attempts: try again in {wait} seconds.",
            {"Retry-After": str(wait)},
        )
    if isinstance(exc, AccountDisabled):
        return (
            status.HTTP_403_FORBIDDEN,
            "Ce compte est désactivé : adressez-vous à votre administrateur."
            " / This account is disabled: ask your administrator.",
            {},
        )
    return status.HTTP_401_UNAUTHORIZED, "Identifiant ou mot de passe incorrect.", {}


@router.post("/deconnexion")
async def sign_out_submit(request: Request) -> RedirectResponse:
    await check_csrf(request)
    await sign_out(request)
    return RedirectResponse("/connexion", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/console")
async def console_home(request: Request) -> RedirectResponse:
    account = await signed_in_account(request)
    if account is None:
        return RedirectResponse("/connexion", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse(HOME_OF_ROLE[account.role], status_code=status.HTTP_303_SEE_OTHER)


def add_console(
    app: FastAPI,
    accounts: Accounts,
    occupations: OccupationReferential,
    sessions: ConsoleSessions,
    session_secret: str,
    secure_cookies: bool,
    assets_dir: Path,
    oidc: OAuth | None = None,
    oidc_label: str = "ProConnect",
) -> None:
    app.state.accounts = accounts
    app.state.oidc = oidc
    templates.env.globals["OIDC_LABEL"] = oidc_label if oidc is not None else None
    app.state.occupations = occupations
    app.add_middleware(ConsoleSessionCookies, sessions=sessions, secret=session_secret, secure=secure_cookies)
    swagger = assets_dir / "swagger-ui-dist"
    if swagger.is_dir():  # before /static, which would otherwise answer for it
        app.mount("/static/swagger-ui", StaticFiles(directory=swagger), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(oidc_pages.router)
    app.include_router(router)
    app.include_router(auditor_pages.router)
    app.include_router(partner_settings_pages.router)  # before partner_pages: fixed paths first
    app.include_router(partner_pages.router)
    app.include_router(link_pages.router)
    app.include_router(ops_pages.router)

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        """Swagger UI from the service's own files (works on an intranet without internet), started by a
        script file: no inline script for the Content-Security-Policy to allow."""
        return templates.TemplateResponse(request, "docs.html", {})

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired) -> RedirectResponse:
        lost = "&envoi=perdu" if exc.lost else ""  # a fixed word, never text a link could choose
        return RedirectResponse(
            f"/connexion?suivant={quote(exc.next_url)}{lost}", status_code=status.HTTP_303_SEE_OTHER
        )

    @app.exception_handler(StarletteHTTPException)
    async def console_errors(request: Request, exc: StarletteHTTPException) -> Response:
        """Pages get a French page; the API keeps its JSON answers."""
        if request.url.path.startswith(("/console", "/lien", "/connexion", "/deconnexion")):
            return page(request, "error.html", status_code=exc.status_code, message=exc.detail, code=exc.status_code)
        return await http_exception_handler(request, exc)
