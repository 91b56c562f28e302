"""Settings every service shares; each service extends `ServiceSettings` with its own."""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.webhooks.targets import WebhookTargetPolicy, parse_networks


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ServiceSettings(BaseSettings):
    """Read from the environment (KAFKA_BOOTSTRAP_SERVERS, REDIS_URL, …); fails fast when one is missing."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(description="host:port[,host:port] of the Kafka brokers")
    redis_url: str = Field(description="redis://host:port/db: the state (rebuilt from the log; no eviction)")
    cache_redis_url: str | None = Field(
        None,
        description="redis://host:port/db for what is not state and may be lost or evicted: console sessions, "
        "sign-in throttles, Idempotency-Key records. Unset: the next database of REDIS_URL's server (development); "
        "production wants a Redis of its own with a memory limit, so the state's Redis cannot be filled from outside",
    )
    instance_id: str = Field(default_factory=_default_instance_id)
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=0, le=65535)
    http_keep_alive_s: int = Field(
        75, ge=1, description="Idle keep-alive connections are closed after this; longer than clients' and proxies' own"
    )
    environment: Literal["development", "test", "production"] = "development"
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (the client's address is what "
        "sign-in throttling counts): the reverse proxy's address, comma-separated",
    )
    http_header_timeout_s: float = Field(
        10.0, gt=0, le=300, description="A connection whose request line and headers take longer is closed"
    )
    http_body_timeout_s: float = Field(
        30.0, gt=0, le=600, description="A request body that stops arriving for this long is refused (408)"
    )
    http_max_connections: int = Field(
        1000, ge=1, description="Open connections and requests in progress above this are answered 503 at once"
    )
    webhook_allowed_networks: str = Field(
        "",
        description="Networks webhooks may reach although internal (intranet receivers, tests), comma-separated: "
        "'10.20.0.0/16,127.0.0.2'; every other loopback, private, link-local or multicast target is refused",
    )
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    kafka_session_timeout_ms: int = Field(6000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(1000, ge=100)
    kafka_fetch_max_wait_ms: int = Field(
        100,
        ge=0,
        le=5000,
        description="How long the broker may hold a fetch waiting for data; the embedded Tansu answers only when it "
        "expires, so this is added to every hop at low load (aiokafka's default 500 ms made a signing take ~2 s)",
    )
    kafka_batch_max_records: int = Field(
        200,
        ge=1,
        le=10_000,
        description="Most records a consumer takes at a time: a batch is judged, handled (each key's records in "
        "order, the keys side by side) and committed together, with the state marker read once for it",
    )
    kafka_replication_factor: int = Field(1, ge=1)
    kafka_manage_topics: bool = Field(
        True, description="Create missing topics at start-up; false where an operator (Strimzi) owns them"
    )
    kafka_sasl_username: str | None = Field(None, description="SCRAM-SHA-512 user (Strimzi KafkaUser)")
    kafka_sasl_password: SecretStr | None = None
    kafka_use_tls: bool = False
    max_event_bytes: int = Field(256 * 1024, ge=1024, description="Larger messages are dead-lettered")
    idempotency_keys_per_caller: int = Field(
        10_000, ge=1, description="Idempotency-Key records an API key may hold at once (24 h each); 429 beyond"
    )
    max_request_bytes: int = Field(
        1024 * 1024, ge=1024, description="Larger HTTP request bodies are refused with 413 before they are read"
    )
    heartbeat_interval_s: float = Field(3.0, gt=0, description="How often ops.heartbeat.v1 and ops.metrics.v1 go out")
    transient_retry_delay_s: float = Field(
        0.5, ge=0, description="Pause before a message whose handler failed is redelivered"
    )
    state_check_interval_s: float = Field(
        1.0, gt=0, description="How often the service checks that its Redis state is there (rebuilt if not)"
    )

    def cache_url(self) -> str:
        """CACHE_REDIS_URL, or the database after REDIS_URL's on the same server."""
        if self.cache_redis_url:
            return self.cache_redis_url
        base, _, database = self.redis_url.rpartition("/")
        if base.endswith(":") or not database.isdigit():  # redis://host:port with no database
            return f"{self.redis_url.rstrip('/')}/1"
        return f"{base}/{(int(database) + 1) % 16}"

    def webhook_target_policy(self) -> WebhookTargetPolicy:
        return WebhookTargetPolicy(
            https_only=self.environment == "production", allowed=parse_networks(self.webhook_allowed_networks)
        )
