"""Partner topics are created on first use, with the contract's partition count."""

from __future__ import annotations

from shared.contract.topics import partner_candidates_topic
from shared.messaging.kafka_admin import ensure_topics


class PartnerTopics:
    def __init__(self, bootstrap_servers: str, replication_factor: int, manage: bool = True) -> None:
        """With `manage` false the topics are declared by the platform (a KafkaTopic per partner)."""
        self._bootstrap = bootstrap_servers
        self._replication = replication_factor
        self._manage = manage
        self._known: set[str] = set()

    async def topic_for(self, partner_id: str) -> str:
        spec = partner_candidates_topic(partner_id)
        if self._manage and spec.name not in self._known:
            await ensure_topics(self._bootstrap, [spec], self._replication)
            self._known.add(spec.name)
        return spec.name
