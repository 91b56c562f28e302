"""Webhook signatures, the way Stripe and GitHub sign theirs: HMAC-SHA256 over `timestamp.body`.

Header: `Passerelle-Signature: t=<unix seconds>,v1=<hex digest>`. A receiver recomputes the digest with
its secret, compares in constant time, and refuses timestamps too far from its clock (replays)."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Passerelle-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_S = 300


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
