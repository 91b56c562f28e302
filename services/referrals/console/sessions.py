"""Who is at the keyboard: people sign in with their own account; the session is kept on the server
(`adapters/console_sessions.py`, the cookie holds only its random id) with a CSRF token, the language,
the next page's message and the auditor's last search, nothing else. Every form carries the token; a
POST without the session's token is refused with 403. A session is honoured only while its account
exists, is not disabled, and has not had its password changed since the session was opened."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.referrals.adapters.accounts import Accounts
from services.referrals.console.session_cookies import session_of
from services.referrals.domain.accounts import Account
from shared.principals import Principal, Role

CSRF_FIELD = "csrf_token"
FLASH = "message"
SEARCH = "search"  # the auditor's last search: kept here, so that a name never goes into a URL


class SignInRequired(Exception):
    """No (valid) session: the page sends the person to the sign-in form, then back. `lost`: what they
    had just sent (a form) was not recorded, and the sign-in page says so."""

    def __init__(self, next_url: str, lost: bool = False) -> None:
        self.next_url = next_url
        self.lost = lost


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """A console POST must carry the token of its session (synchroniser token, kept on the server)."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD, ""))
    expected = str(request.session.get("csrf", ""))
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Jeton de sécurité (CSRF) absent ou invalide : rechargez la page et recommencez."
            " / Missing or invalid CSRF token.",
        )


def flash(request: Request, message: str) -> None:
    """A message for the next page this person opens (kept in their session, never in the URL)."""
    request.session[FLASH] = message[:300]


def take_flash(request: Request) -> str | None:
    message = request.session.pop(FLASH, None)
    return str(message) if message else None


async def sign_in(request: Request, account: Account) -> None:
    """A fresh session (and token) at every sign-in: no fixation; the language chosen before is kept."""
    data = {"csrf": secrets.token_urlsafe(32)}
    if lang := request.session.get("lang"):
        data["lang"] = str(lang)
    await session_of(request).open(account.login, data)


async def sign_out(request: Request) -> None:
    await session_of(request).end()


async def signed_in_account(request: Request) -> Account | None:
    """The account whose live session this is, or None (the session is ended if it may no longer be used)."""
    handle = session_of(request)
    if handle.current is None:
        return None
    accounts: Accounts = request.app.state.accounts
    account = await accounts.get(handle.current.login)
    stale = (
        account is not None
        and account.password_changed_at is not None
        and (account.password_changed_at > handle.current.opened_at)
    )
    if account is None or account.disabled or stale:
        await handle.end()
        return None
    return account


async def current_account(request: Request) -> Account:
    account = await signed_in_account(request)
    if account is None:
        raise SignInRequired(str(request.url.path), lost=request.method == "POST")
    return account


def _role(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(account: Annotated[Account, Depends(current_account)]) -> Principal:
        if account.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Cette page n'est pas ouverte à votre rôle.")
        return account.principal()

    return check


AccountDep = Annotated[Account, Depends(current_account)]
AuditorPerson = Annotated[Principal, Depends(_role(Role.AUDITOR))]
PartnerPerson = Annotated[Principal, Depends(_role(Role.PARTNER))]
OpsPerson = Annotated[Principal, Depends(_role(Role.OPS))]
CsrfChecked = Depends(check_csrf)
