"""E-mail links that answer one referral without an account (the pattern of France's Dora service).

A link carries no personal data: the referral id, the partner, a link id and its expiry, signed with the
service's secret (itsdangerous). It expires (default 8 days, by the service's clock), can be revoked
(on referrals' private credential log, so revocations survive a loss of Redis), and each use is audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from shared.access import Credentials

SALT = "passerelle.referral-link.v1"


class LinkRefused(Exception):
    """Why a link does not open: the message is French, for the person who clicked it."""


@dataclass(frozen=True)
class LinkClaim:
    referral_id: str
    partner_id: str
    link_id: str
    expires_at: datetime


class ReferralLinks:
    def __init__(self, secret: str, valid_for: timedelta, credentials: Credentials) -> None:
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self._valid_for = valid_for
        self._credentials = credentials

    def issue(self, referral_id: str, partner_id: str, now: datetime) -> tuple[str, LinkClaim]:
        claim = LinkClaim(referral_id, partner_id, secrets.token_urlsafe(9), now + self._valid_for)
        token = self._serializer.dumps(
            {"r": referral_id, "p": partner_id, "l": claim.link_id, "e": int(claim.expires_at.timestamp())}
        )
        return token, claim

    async def read(self, token: str, now: datetime) -> LinkClaim:
        try:
            data = self._serializer.loads(token)
            claim = LinkClaim(
                str(data["r"]), str(data["p"]), str(data["l"]), datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo)
            )
        except (BadSignature, KeyError, TypeError, ValueError) as exc:
            raise LinkRefused("Ce lien n'est pas valide : il a peut-être été mal copié.") from exc
        if now >= claim.expires_at:
            raise LinkRefused(
                "Ce lien a expiré. Connectez-vous à votre espace partenaire pour répondre, ou demandez un nouveau lien."
            )
        if await self._credentials.link_revoked(claim.link_id):
            raise LinkRefused("Ce lien a été révoqué. Connectez-vous à votre espace partenaire pour répondre.")
        return claim

    async def revoke(self, claim: LinkClaim, now: datetime) -> None:
        await self._credentials.revoke_link(claim.link_id, now)
