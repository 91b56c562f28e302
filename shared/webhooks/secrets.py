"""Webhook signing secrets in the form Standard Webhooks writes them: `whsec_` + base64 of 32 random bytes."""

from __future__ import annotations

import base64
import secrets

PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
