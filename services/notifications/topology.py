"""What notifications publishes and consumes: the one place it is written (see shared/messaging/topology.py)."""

from __future__ import annotations

from shared.contract.events import (
    ConsentRecorded,
    CredentialChange,
    PartnerCandidateEntry,
    PartnerSubscription,
    ReferralEvent,
)
from shared.contract.topics import (
    PARTNER_SUBSCRIPTION,
    REFERRAL_EVENT,
    REFERRALS_CONSENT,
    REFERRALS_CREDENTIAL,
    TopicSpec,
)
from shared.messaging.topology import Consumed, Published, Topology

# One topic per partner, created when the partner is first sent a candidate.
PARTNER_TOPIC_PATTERN = TopicSpec("partner.{partner_id}.candidates.v1", 3, "referral id")

TOPOLOGY = Topology(
    service="notifications",
    publishes=(
        Published(
            PARTNER_TOPIC_PATTERN,
            PartnerCandidateEntry,
            "A new candidate for the partner (its own referral, or its pool): minimised, pseudonymous. A null "
            "value under a referral id (a tombstone) means: delete that pool entry, the person withdrew consent",
            pattern=True,
        ),
    ),
    consumes=(
        Consumed(REFERRAL_EVENT, ReferralEvent, "notifications.referral-events", "send_to_partner_and_pools"),
        Consumed(PARTNER_SUBSCRIPTION, PartnerSubscription, "notifications.subscriptions"),
        Consumed(REFERRALS_CREDENTIAL, CredentialChange, "notifications.credentials"),
        Consumed(REFERRALS_CONSENT, ConsentRecorded, "notifications.consent", "withdraw_if_narrowed"),
    ),
    serves_http=True,
)
