"""Fixtures: a real Kafka-protocol broker and Redis (embedded, or from the environment), and the services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from passerelle.infrastructure import Infrastructure
from passerelle.stack import ServiceStack
from shared.redis_factory import make_redis
from tests.oidc_provider import CLIENT_ID as OIDC_CLIENT_ID
from tests.oidc_provider import CLIENT_SECRET as OIDC_CLIENT_SECRET
from tests.oidc_provider import OidcProvider
from tests.otlp_collector import OtlpCollector
from tests.smtp_sink import SmtpSink

LAYERS = ("unit", "integration", "e2e")
# Webhook retries in seconds rather than hours, so failures and dead letters show within a test.
FAST_WEBHOOK_RETRIES = {
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.2/32",  # the test receivers' loopback address (webhook_receiver.py)
    "WEBHOOK_BACKOFF_BASE_S": "0.2",
    "WEBHOOK_MAX_DELAY_S": "1",
    "WEBHOOK_RETRY_WINDOW_S": "4",
    "WEBHOOK_TIMEOUT_S": "0.7",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked by its folder, so `-m unit` and friends select layers."""
    for item in items:
        layer = Path(str(item.fspath)).parent.name
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    """Tansu and redis-server on free ports, or KAFKA_BOOTSTRAP_SERVERS / REDIS_URL when set."""
    infra = Infrastructure()
    infra.start()
    yield infra
    infra.stop()


@pytest.fixture
async def redis(infrastructure: Infrastructure) -> AsyncIterator[Redis]:
    client = make_redis(infrastructure.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def private_redis(infrastructure: Infrastructure) -> AsyncIterator[Redis]:
    """A Redis database of its own, emptied before and after: for adapters whose keys are fixed, which the
    services running meanwhile (on database 0) must not see."""
    client = make_redis(infrastructure.redis_url.rsplit("/", 1)[0] + "/7")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for the e-mail tests."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """An OpenID Connect provider on loopback, playing ProConnect for the sign-in tests."""
    provider = OidcProvider()
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def otlp_collector() -> Iterator[OtlpCollector]:
    """Where the services export their spans during the e2e tests (OTLP/HTTP)."""
    collector = OtlpCollector()
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture(scope="session")
def stack(
    infrastructure: Infrastructure, smtp_sink: SmtpSink, oidc_provider: OidcProvider, otlp_collector: OtlpCollector
) -> Iterator[ServiceStack]:
    """The three services as real processes, shared by the e2e tests; their spans go to `otlp_collector`."""
    services = ServiceStack(infrastructure, extra_env=dict(FAST_WEBHOOK_RETRIES))
    services.extra_env |= {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_sink.port),
        "CONSOLE_URL": services.url("referrals"),
        "OIDC_ISSUER_URL": oidc_provider.issuer,
        "OIDC_CLIENT_ID": OIDC_CLIENT_ID,
        "OIDC_CLIENT_SECRET": OIDC_CLIENT_SECRET,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms: spans reach the collector within a test's patience
    }
    services.start()
    yield services
    services.stop()
