"""The mail relay partners' e-mails go through (SMTP, in a thread: smtplib blocks)."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from services.referrals.service_layer.ports import MailNotSent


@dataclass(frozen=True)
class SmtpRelay:
    host: str
    port: int
    sender: str

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        """Raises MailNotSent when the relay cannot be reached or refuses the message."""
        message["From"] = self.sender
        try:
            await asyncio.to_thread(self._send, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailNotSent(f"{self.host}:{self.port}: {exc}") from exc
