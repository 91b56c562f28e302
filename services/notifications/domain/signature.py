"""Webhook signatures.

Standard Webhooks (standardwebhooks.com), signed with its official library: `webhook-id` (the delivery's
id, the same on every retry), `webhook-timestamp` (unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of id.timestamp.body>`), so that partners verify with the official libraries in
their own language. Secrets are `whsec_` + base64, as that standard writes them
(`shared/webhooks/secrets.py`); a secret issued before that form still verifies with the Python library.

Also, until Passerelle 0.3: the earlier `Passerelle-Signature: t=<unix seconds>,v1=<hex digest>` (HMAC-SHA256
over `timestamp.body` with the whole secret string as key), for receivers written against it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from standardwebhooks import Webhook

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
HEADER = "Passerelle-Signature"  # deprecated: sent until Passerelle 0.3
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_S = 300


def standard_headers(secret: str, delivery_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one delivery attempt."""
    signature = Webhook(secret).sign(msg_id=delivery_id, timestamp=at, data=body.decode())
    return {ID_HEADER: delivery_id, TIMESTAMP_HEADER: str(int(at.timestamp())), SIGNATURE_HEADER: signature}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = TOLERANCE_S) -> bool:
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        expected = sign(secret, timestamp, body).split("v1=", 1)[1]
        return abs(now - timestamp) <= tolerance_s and hmac.compare_digest(expected, fields["v1"])
    except (KeyError, ValueError):
        return False
