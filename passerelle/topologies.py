"""The three services' topologies side by side: what the deployment files, the docs and the operators'
tools derive from (each service knows only its own)."""

from __future__ import annotations

from services.matching.topology import TOPOLOGY as MATCHING
from services.notifications.topology import TOPOLOGY as NOTIFICATIONS
from services.referrals.topology import TOPOLOGY as REFERRALS
from shared.messaging.topology import Topology

TOPOLOGIES: dict[str, Topology] = {t.service: t for t in (REFERRALS, MATCHING, NOTIFICATIONS)}


def consumer_groups() -> dict[str, str]:
    """Every consumer group of every service → the topic it reads."""
    return {group: topic for t in TOPOLOGIES.values() for group, topic in t.groups().items()}
