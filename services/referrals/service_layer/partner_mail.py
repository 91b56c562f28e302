"""E-mails to partners that run no integration: a new referral, or a reminder before its deadline, with a
signed link to answer it. Sent from the referral log (at least once; a claim in Redis keeps a redelivered
event from sending twice) and recorded on the audit topic."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from services.referrals.service_layer.ports import LinkIssuer, MailLedger, MailNotSent, MailRelay
from services.referrals.wording import french
from shared.access import Credentials
from shared.contract.events import AuditRecord, ReferralEvent
from shared.contract.vocabulary import ReferralEventKind, ReferralStatus
from shared.messaging.projections import Publisher

log = logging.getLogger(__name__)


def compose(event: ReferralEvent, to: str, link: str, expires_at: datetime) -> EmailMessage:
    reminder = event.kind is ReferralEventKind.REMINDER
    deadline = french.long_date(event.respond_by)
    subject = (
        f"Relance : orientation {event.programme} à traiter avant le {deadline}"
        if reminder
        else f"Nouvelle orientation vers {event.programme} — réponse attendue avant le {deadline}"
    )
    c = event.candidate
    body = f"""Bonjour,

{"Une orientation attend toujours votre réponse." if reminder else "Passerelle vous adresse une nouvelle orientation."}

Programme : {event.programme} (session {event.opening_id})
Personne : {french.age_band(c.age_band)}, français {c.french_level.value if c.french_level else "non évalué"}, \
département {french.department(c.department)}
Réponse attendue avant le : {deadline}

Pour accepter, mettre en liste d'attente ou refuser, ouvrez ce lien (valable jusqu'au {french.long_date(expires_at)}) :
{link}

Ce lien ne contient aucune donnée personnelle ; les coordonnées de la personne vous sont communiquées
dans votre espace partenaire une fois l'orientation acceptée, si elle y a consenti.

— Passerelle

---
(English) {"Reminder: a referral awaits your answer" if reminder else "A new referral"} to {event.programme},
to answer by {event.respond_by.date().isoformat() if event.respond_by else ""}: {link}
"""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


@dataclass
class PartnerMail:
    relay: MailRelay | None
    ledger: MailLedger
    credentials: Credentials
    links: LinkIssuer
    audit: Publisher
    base_url: str
    clock: Callable[[], datetime]

    @staticmethod
    def wants_mail(event: ReferralEvent) -> bool:
        new = event.kind is ReferralEventKind.STATUS and event.status is ReferralStatus.SENT
        return new or event.kind is ReferralEventKind.REMINDER

    async def mail_about(self, event: ReferralEvent) -> bool:
        """True when an e-mail went out for this event. A relay that fails puts the event on a retry list
        (sent again by the deadline sweep) instead of failing the projection that calls this."""
        if self.relay is None or not self.wants_mail(event):
            return False
        try:
            return await self._send(event)
        except MailNotSent:
            log.warning("partner e-mail not sent; retried later", extra={"referral_id": event.referral_id})
            await self.ledger.keep_for_retry(event)
            return False

    async def retry_failed(self) -> int:
        """Send again what a failing relay refused; returns how many went out."""
        sent = 0
        for event in await self.ledger.take_for_retry():
            sent += await self.mail_about(event)
        return sent

    async def _send(self, event: ReferralEvent) -> bool:
        assert self.relay is not None
        partner = await self.credentials.partner(event.partner_id)
        if not partner or not partner.get("email"):
            return False
        if not await self.ledger.claim(event.referral_id, event.sequence):
            return False  # sent already (a redelivered event)
        now = self.clock()
        token, claim = self.links.issue(event.referral_id, event.partner_id, now)
        link = f"{self.base_url.rstrip('/')}/lien/{token}"
        try:
            await self.relay.send(compose(event, partner["email"], link, claim.expires_at))
        except MailNotSent:
            await self.ledger.release(event.referral_id, event.sequence)  # sent next time the event is consumed
            raise
        record = AuditRecord(
            actor="system",
            action="email_sent",
            subject=event.beneficiary_id,
            referral_id=event.referral_id,
            at=now,
            fields=[f"link:{claim.link_id}"],
        )
        await self.audit.publish(record, key=event.beneficiary_id)
        log.info(
            "referral e-mailed to partner", extra={"referral_id": event.referral_id, "partner_id": event.partner_id}
        )
        return True
