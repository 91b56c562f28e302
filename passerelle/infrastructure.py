"""Kafka and Redis for a run: the ones named in the environment, or embedded ones started here."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from passerelle.embedded.redis_server import EmbeddedRedis
from passerelle.embedded.tansu import EmbeddedKafka
from shared.contract.topics import FIXED_TOPICS
from shared.messaging.kafka_admin import ensure_topics


@dataclass
class Infrastructure:
    """Where Kafka and Redis are; started and stopped by `start()` / `stop()` when embedded."""

    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="passerelle-")))
    kafka_bootstrap_servers: str = ""
    redis_url: str = ""
    replication_factor: int = 1
    use_environment: bool = True  # False: always start embedded ones (an isolated stack for tests)
    _kafka: EmbeddedKafka | None = None
    _redis: EmbeddedRedis | None = None

    @property
    def embedded(self) -> bool:
        return self._kafka is not None or self._redis is not None

    def start(self) -> None:
        environment = os.environ if self.use_environment else {}
        self.kafka_bootstrap_servers = environment.get("KAFKA_BOOTSTRAP_SERVERS", "")
        self.redis_url = environment.get("REDIS_URL", "")
        try:
            if not self.kafka_bootstrap_servers:
                self._kafka = EmbeddedKafka(self.log_dir)
                self._kafka.start()
                self.kafka_bootstrap_servers = self._kafka.bootstrap_servers
            if not self.redis_url:
                self._redis = EmbeddedRedis(self.log_dir)
                self._redis.start()
                self.redis_url = self._redis.url
            asyncio.run(ensure_topics(self.kafka_bootstrap_servers, FIXED_TOPICS, self.replication_factor))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._kafka is not None:
            self._kafka.stop()
            self._kafka = None
        if self._redis is not None:
            self._redis.stop()
            self._redis = None

    def environment(self) -> dict[str, str]:
        """What a service process needs to find Kafka and Redis."""
        return {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers, "REDIS_URL": self.redis_url}
