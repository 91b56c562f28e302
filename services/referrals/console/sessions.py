"""Who is at the keyboard: people sign in with their own account; the session is a signed cookie
(Starlette's SessionMiddleware, itsdangerous) that holds the login and a CSRF token, nothing else.
Every form carries the token; a POST without the session's token is refused with 403."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.referrals.adapters.accounts import Account, Accounts
from shared.access import Principal, Role

CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No (valid) session: the page sends the person to the sign-in form, then back."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """A console POST must carry the token of its session (double-submit through the signed cookie)."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD, ""))
    expected = str(request.session.get("csrf", ""))
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Jeton de sécurité (CSRF) absent ou invalide : rechargez la page et recommencez."
            " / Missing or invalid CSRF token.",
        )


def sign_in(request: Request, account: Account) -> None:
    request.session.clear()  # a fresh session (and token) at every sign-in: no fixation
    request.session["login"] = account.login
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


async def current_account(request: Request) -> Account:
    login = request.session.get("login")
    accounts: Accounts = request.app.state.accounts
    account = await accounts.get(str(login)) if login else None
    if account is None:
        request.session.pop("login", None)
        raise SignInRequired(str(request.url.path))
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
