"""A small OpenID Connect provider for the tests, playing ProConnect: discovery, an authorisation endpoint
that signs in whoever the test names (no form), a token endpoint returning an RS256 id_token (joserfc),
and the JWKS to check it. It runs on loopback in a thread, with uvicorn."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from passerelle.embedded.processes import free_port, wait_until

CLIENT_ID = "passerelle-tests"
CLIENT_SECRET = "secret-du-client-de-test"


class OidcProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.next_email = "nobody@example.org"  # who the next sign-in is
        self._key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self._codes: dict[str, dict[str, Any]] = {}
        app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        wait_until(lambda: self._server.started, timeout_s=10, what="the test OIDC provider")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    async def _discovery(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def _authorize(self, request: Request) -> RedirectResponse:
        params = request.query_params
        code = secrets.token_urlsafe(16)
        self._codes[code] = {"nonce": params.get("nonce"), "email": self.next_email, "client": params["client_id"]}
        target = f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}"
        return RedirectResponse(target, status_code=302)

    async def _token(self, request: Request) -> JSONResponse:
        form = await request.form()
        grant = self._codes.pop(str(form.get("code")), None)
        if grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": grant["email"], "aud": grant["client"], "iat": now, "exp": now + 300,
            "nonce": grant["nonce"], "email": grant["email"], "given_name": "Test", "usual_name": "Agent",
        }  # fmt: skip
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self._key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "expires_in": 300, "id_token": id_token})  # fmt: skip

    async def _jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self._key.as_dict(private=False)]})
