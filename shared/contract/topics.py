"""Every Kafka topic of the public contract, and the referrals service's private topics (its own record
of signings and the people's keys, readable by it alone, and of credentials, whose key digests
notifications reads too), defined once."""

from __future__ import annotations

import re
from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """A topic's name and the settings it must be created with."""

    name: str
    partitions: int
    key: str
    compacted: bool = False
    retention_ms: int = 7 * DAY_MS
    # A compacted topic whose deleted records must be gone from the disks within a bounded time.
    max_compaction_lag_ms: int | None = None

    def config(self) -> dict[str, str]:
        """Topic-level configuration as Kafka expects it."""
        policy = "compact" if self.compacted else "delete"
        config = {"cleanup.policy": policy, "retention.ms": str(self.retention_ms)}
        if self.max_compaction_lag_ms is not None:
            lag = str(self.max_compaction_lag_ms)  # also rolls the segment, which compaction never touches open
            config |= {"max.compaction.lag.ms": lag, "segment.ms": lag, "delete.retention.ms": lag}
        return config


BENEFICIARY_PROFILE = TopicSpec("beneficiary.profile.v1", 6, "beneficiary id", compacted=True, retention_ms=-1)
PROGRAMME_OPENING = TopicSpec("programme.opening.v1", 3, "opening id", compacted=True, retention_ms=-1)
# Kept: the proposals are the record of the seats matching held, read back when its state is rebuilt.
MATCHING_PROPOSAL = TopicSpec("matching.proposal.v1", 6, "beneficiary id", retention_ms=-1)
# Compacted: the latest trained success model, which every matching instance scores with.
MATCHING_MODEL = TopicSpec("matching.model.v1", 1, "model name", compacted=True, retention_ms=-1)
REFERRAL_EVENT = TopicSpec("referral.event.v1", 6, "beneficiary id", retention_ms=-1)
# A decision window closed: written by referrals, re-solved by matching (whose final proposals send).
REFERRAL_WINDOW = TopicSpec("referral.window.v1", 1, "window id", retention_ms=-1)
PARTNER_SUBSCRIPTION = TopicSpec("partner.subscription.v1", 3, "partner id", compacted=True, retention_ms=-1)
OPS_HEARTBEAT = TopicSpec("ops.heartbeat.v1", 1, "service instance", retention_ms=DAY_MS)
OPS_METRICS = TopicSpec("ops.metrics.v1", 1, "service instance", retention_ms=DAY_MS)
OPS_DLQ = TopicSpec("ops.dlq.v1", 3, "original key", retention_ms=30 * DAY_MS)
OPS_AUDIT = TopicSpec("ops.audit.v1", 3, "subject", retention_ms=-1)
# Private to referrals: the signings with their contact details (ACLs grant no other principal), and the
# partners, API key digests and accounts (notifications may read it, and keeps the key digests only), so
# that a wiped Redis is rebuilt from the log like every other view.
REFERRALS_SIGNING = TopicSpec("referrals.signing.v1", 6, "beneficiary id", compacted=True, retention_ms=-1)
# Private to referrals: each person's key, wrapped by the master key; a tombstone erases the person, and
# compaction removes the key from the disks within a day.
REFERRALS_KEY = TopicSpec(
    "referrals.key.v1", 6, "beneficiary id/key id", compacted=True, retention_ms=-1, max_compaction_lag_ms=DAY_MS
)
# The newcomer's consent records, every version kept: read by notifications, which stops pool entries and
# sends tombstones on a withdrawal.
REFERRALS_CONSENT = TopicSpec("referrals.consent.v1", 6, "beneficiary id", retention_ms=-1)
REFERRALS_CREDENTIAL = TopicSpec("referrals.credential.v1", 1, "partner or key id", compacted=True, retention_ms=-1)

FIXED_TOPICS: tuple[TopicSpec, ...] = (
    BENEFICIARY_PROFILE,
    PROGRAMME_OPENING,
    MATCHING_PROPOSAL,
    MATCHING_MODEL,
    REFERRAL_EVENT,
    REFERRAL_WINDOW,
    PARTNER_SUBSCRIPTION,
    OPS_HEARTBEAT,
    OPS_METRICS,
    OPS_DLQ,
    OPS_AUDIT,
    REFERRALS_SIGNING,
    REFERRALS_CREDENTIAL,
    REFERRALS_CONSENT,
    REFERRALS_KEY,
)

PARTNER_CANDIDATES_PARTITIONS = 3
PARTNER_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class InvalidPartnerId(ValueError):
    """A partner id that cannot be part of a topic name."""


def partner_candidates_topic(partner_id: str) -> TopicSpec:
    """The partner's own candidate-pool topic, `partner.<partner_id>.candidates.v1`."""
    if not PARTNER_ID_PATTERN.match(partner_id):
        raise InvalidPartnerId(f"partner id {partner_id!r} must be 2-63 lowercase letters, digits or '-'")
    return TopicSpec(
        f"partner.{partner_id}.candidates.v1",
        PARTNER_CANDIDATES_PARTITIONS,
        "referral id",
        retention_ms=30 * DAY_MS,
    )
