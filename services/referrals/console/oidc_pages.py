"""Sign-in through an OpenID Connect provider — ProConnect is what French public agents use — when one is
configured (OIDC_ISSUER_URL). The provider vouches for the person's e-mail; the Passerelle account with
that e-mail is signed in (accounts carry the role, the territory or the structure: the provider does not).
Authlib does the protocol: discovery, state and nonce in the session, code exchange, id_token checks."""

from __future__ import annotations

import logging

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from services.referrals.adapters.accounts import Accounts
from services.referrals.console.rendering import HOME_OF_ROLE
from services.referrals.console.sessions import sign_in

router = APIRouter(prefix="/connexion/oidc", include_in_schema=False)
log = logging.getLogger(__name__)


def configure(issuer_url: str, client_id: str, client_secret: str) -> OAuth:
    oauth = OAuth()
    oauth.register(
        name="provider",
        server_metadata_url=issuer_url.rstrip("/") + "/.well-known/openid-configuration",
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={"scope": "openid email given_name usual_name"},
    )
    return oauth


@router.get("")
async def start(request: Request) -> RedirectResponse:
    oauth: OAuth | None = request.app.state.oidc
    if oauth is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Aucun fournisseur d'identité n'est configuré.")
    redirect_uri = str(request.url_for("oidc_return"))
    response: RedirectResponse = await oauth.provider.authorize_redirect(request, redirect_uri)
    return response


@router.get("/retour", name="oidc_return")
async def back(request: Request) -> RedirectResponse:
    oauth: OAuth | None = request.app.state.oidc
    if oauth is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Aucun fournisseur d'identité n'est configuré.")
    try:
        token = await oauth.provider.authorize_access_token(request)
    except OAuthError as exc:
        log.warning("OpenID Connect sign-in refused: %s", exc.error)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "La connexion par le fournisseur d'identité a échoué : recommencez."
        ) from exc
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or "")
    accounts: Accounts = request.app.state.accounts
    account = await accounts.by_email(email) if email else None
    if account is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Aucun compte Passerelle pour {email or 'cette identité'} : demandez-en un à votre administrateur.",
        )
    if account.disabled:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Ce compte est désactivé : adressez-vous à votre administrateur."
            " / This account is disabled: ask your administrator.",
        )
    await sign_in(request, account)
    return RedirectResponse(HOME_OF_ROLE[account.role], status_code=status.HTTP_303_SEE_OTHER)
