"""A partner's webhook endpoint on loopback: verifies each signature (the Standard Webhooks one with its
official library) and can be told to fail."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from passerelle.embedded.processes import free_port
from services.notifications.domain.signature import HEADER, IDEMPOTENCY_HEADER, verify

# Receivers listen on their own loopback address, the one the test stack allows webhooks to reach
# (WEBHOOK_ALLOWED_NETWORKS); every other internal address, 127.0.0.1 included, stays refused.
RECEIVER_HOST = "127.0.0.2"


@dataclass
class Attempt:
    idempotency_key: str
    signature_valid: bool  # both: Standard Webhooks (checked with its official library) and Passerelle-Signature
    body: dict[str, Any]
    answered: str


@dataclass
class WebhookReceiver:
    """`script` says how to answer successive attempts ("500", "timeout", then "ok" for the rest)."""

    script: list[str] = field(default_factory=list)
    secret: str = ""
    port: int = field(default_factory=free_port)
    attempts: list[Attempt] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{RECEIVER_HOST}:{self.port}/hooks/passerelle"

    def delivered(self) -> list[Attempt]:
        """Accepted deliveries with a valid signature, one per idempotency key (as a receiver dedupes)."""
        unique: dict[str, Attempt] = {}
        for attempt in self.attempts:
            if attempt.answered == "ok" and attempt.signature_valid:
                unique.setdefault(attempt.idempotency_key, attempt)
        return list(unique.values())

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                legacy = verify(receiver.secret, self.headers.get(HEADER, ""), body, int(time.time()))
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                    standard = True
                except WebhookVerificationError:
                    standard = False
                valid = legacy and standard
                answer = receiver.script.pop(0) if receiver.script else "ok"
                receiver.attempts.append(
                    Attempt(self.headers.get(IDEMPOTENCY_HEADER, ""), valid, json.loads(body), answer)
                )
                if answer == "timeout":
                    time.sleep(1.5)
                    return
                code = 200 if answer == "ok" and valid else (401 if not valid else 500)
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((RECEIVER_HOST, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
