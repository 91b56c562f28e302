"""Everything notifications keeps in Redis, and the event each piece is projected from.

- subscriptions                       ← partner.subscription.v1
- anonymous candidates per subscription ← referral.event.v1 (a new referral that fits a subscription of
                                        another partner, without the newcomer's consent: only counted)
- delivery log (who got which entry)  ← every partner.<id>.candidates.v1: notifications' own output is
                                        the record of what was sent, so nothing is sent twice after a loss
- API key digests                     ← referrals.credential.v1 (keys only: no accounts, no e-mails)
- each newcomer's current consent     ← referrals.consent.v1 (pools or not, which programmes)
- whose referral is which (with its partner and programme) ← referral.event.v1 (to withdraw pool entries)
Not state: webhook attempts still in the outbox when Redis was lost (the entry is on the partner's topic;
the partner can ask for a re-delivery) and the per-partner webhook delivery history."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.notifications.domain.candidate_entry import candidate_entry_for
from services.notifications.domain.pool_filters import fits
from services.notifications.service_layer.ports import Consents, Deliveries, KeyDigests, PoolSubscriptions, Referrals
from shared.contract.events import ConsentRecorded, PartnerCandidateEntry, PartnerSubscription, ReferralEvent
from shared.contract.events.credential import CredentialChange
from shared.contract.topics import PARTNER_SUBSCRIPTION, REFERRAL_EVENT, REFERRALS_CONSENT, REFERRALS_CREDENTIAL
from shared.messaging.consuming import PoisonMessage
from shared.messaging.projections import Context, Projection, ProjectionTable

PARTNER_TOPICS = "partner.*.candidates.v1"
PARTNER_TOPIC = re.compile(r"^partner\.(?P<partner>[a-z0-9][a-z0-9-]{1,62})\.candidates\.v1$")
AUTH_PREFIX = "notifications:auth"
KEPT_CREDENTIALS = frozenset({"key"})


@dataclass
class NotificationsProjections:
    subscriptions: PoolSubscriptions
    deliveries: Deliveries
    credentials: KeyDigests
    consents: Consents
    referrals: Referrals

    async def keep_subscription(self, subscription: PartnerSubscription, context: Context) -> None:
        await self.subscriptions.upsert(subscription)

    async def count_anonymous_candidate(self, event: ReferralEvent, context: Context) -> None:
        """A new referral without consent that fits another partner's subscription: that partner only
        learns how many (once per referral, however often the event is read)."""
        if candidate_entry_for(event) is None or event.candidate.consented:
            return
        for subscription in await self.subscriptions.active():
            if subscription.partner_id != event.partner_id and fits(subscription.filters, event):
                await self.subscriptions.count_anonymous(subscription.subscription_id, event.referral_id)

    async def keep_consent(self, record: ConsentRecorded, context: Context) -> None:
        await self.consents.keep(record)

    async def remember_referral(self, event: ReferralEvent, context: Context) -> None:
        """Which newcomer a new referral is for: a withdrawal of consent finds the pool entries it made."""
        if candidate_entry_for(event) is not None:
            await self.referrals.remember(event.beneficiary_id, event.referral_id, event.partner_id, event.programme)

    async def record_delivery(self, entry: PartnerCandidateEntry, context: Context) -> None:
        """The entry is on the partner's topic under this ce_id: it is not sent there again."""
        match = PARTNER_TOPIC.match(context.topic)
        if match is None:
            raise PoisonMessage(f"{context.topic} is not a partner's candidates topic")
        await self.deliveries.record_delivery(match["partner"], entry.referral_id, context.attributes.id)

    async def keep_key_digest(self, change: CredentialChange, context: Context) -> None:
        """Partners authenticate here with the keys referrals issued: their digests, nothing else."""
        if change.kind in KEPT_CREDENTIALS:
            await self.credentials.restore(change)

    def table(self) -> ProjectionTable:
        return ProjectionTable(
            [
                Projection(PARTNER_SUBSCRIPTION.name, PartnerSubscription, self.keep_subscription),
                Projection(REFERRAL_EVENT.name, ReferralEvent, self.count_anonymous_candidate),
                Projection(REFERRAL_EVENT.name, ReferralEvent, self.remember_referral),
                Projection(REFERRALS_CONSENT.name, ConsentRecorded, self.keep_consent),
                Projection(PARTNER_TOPICS, PartnerCandidateEntry, self.record_delivery),
                Projection(REFERRALS_CREDENTIAL.name, CredentialChange, self.keep_key_digest),
            ]
        )
