"""The HTTP door on a bare FastAPI app: the body limit (declared and streamed), 422s that never echo the
value, what a refused publish answers, and which webhook targets are internal."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from fastapi import FastAPI
from pydantic import BaseModel, Field

from shared.http.bus_errors import bus_error_answer
from shared.http.request_limits import BodyLimit, field_error
from shared.webhooks.targets import WebhookTargetPolicy, WebhookTargetRefused, parse_networks

LIMIT = 1_000
JSON = {"content-type": "application/json"}


class Person(BaseModel):
    name: str = Field(max_length=10)


def door() -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodyLimit, max_bytes=LIMIT)

    @app.post("/echo")
    async def echo(person: Person) -> dict[str, str]:
        return {"name": person.name}

    return app


async def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=door()), base_url="http://door")


async def test_a_declared_length_over_the_limit_is_413_before_parsing() -> None:
    async with await _client() as client:
        response = await client.post(
            "/echo", content=b"{" + b" " * LIMIT + b"}", headers={"content-type": "application/json"}
        )
    assert response.status_code == 413 and "1000" in response.json()["detail"]


async def test_a_streamed_body_without_length_is_counted_and_refused() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            await asyncio.sleep(0)
            yield b" " * 300

    async with await _client() as client:
        response = await client.post("/echo", content=chunks(), headers=JSON)
    assert response.status_code == 413


async def test_a_body_under_the_limit_goes_through() -> None:
    async with await _client() as client:
        response = await client.post("/echo", json={"name": "Amina"})
    assert response.status_code == 200 and response.json() == {"name": "Amina"}


def test_a_field_error_keeps_where_and_which_rule_but_not_the_value() -> None:
    error = {"loc": ("body", "name"), "msg": "String should have at most 10 characters", "type": "string_too_long",
             "input": "Zoubida Benali", "ctx": {"max_length": 10}}  # fmt: skip
    echoing = {"loc": ("body", "email"), "msg": "value is not valid: not-an-email", "type": "value_error",
               "input": "not-an-email"}  # fmt: skip
    personal = {"loc": ("body", "contact", "email"), "msg": "The domain example..org is not valid",
                "type": "value_error", "input": "amina@example..org"}  # fmt: skip

    assert field_error(error) == {"loc": ["body", "name"], "msg": error["msg"], "type": "string_too_long"}
    assert "not-an-email" not in field_error(echoing)["msg"]
    assert "example" not in field_error(personal)["msg"]


@pytest.mark.parametrize(
    ("error", "status"),
    [(MessageSizeTooLargeError(), 413), (KafkaConnectionError(), 503), (KafkaTimeoutError(), 503)],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_a_refused_publish_says_whether_a_retry_can_succeed(error: Exception, status: int) -> None:
    answer = bus_error_answer(error)  # type: ignore[arg-type]
    assert answer.status_code == status
    assert ("retry-after" in answer.headers) is (status == 503)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379/", "http://169.254.169.254/", "http://10.1.2.3/", "http://172.16.0.1/",
     "http://192.168.1.1/", "http://100.64.0.1/", "http://[::1]/", "http://[fe80::1]/", "http://[fd00::1]/",
     "http://224.0.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "ftp://93.184.216.34/"],
)  # fmt: skip
async def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(WebhookTargetRefused):
        await WebhookTargetPolicy().check(url)


@pytest.mark.parametrize(
    "url",
    ["http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::a00:1]/",  # NAT64
     "http://[64:ff9b:1::7f00:1]/",  # NAT64, local use (RFC 8215): never a partner's
     "http://[2002:7f00:1::1]/", "http://[2002:a9fe:a9fe::]/",  # 6to4 of loopback, link-local
     "http://[::7f00:1]/", "http://[::a9fe:a9fe]/",  # IPv4-compatible
     "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/"],  # Teredo (its client is 127.0.0.1)
)  # fmt: skip
async def test_an_ipv6_form_is_judged_by_the_ipv4_address_it_carries(url: str) -> None:
    """Issue 30, class 6: each of these reaches an internal IPv4 address through a translator or a tunnel."""
    with pytest.raises(WebhookTargetRefused, match="interne"):
        await WebhookTargetPolicy().check(url)


async def test_an_ipv6_form_of_a_public_ipv4_address_passes() -> None:
    await WebhookTargetPolicy().check("https://[64:ff9b::5db8:d822]/hooks")  # NAT64 of 93.184.216.34
    await WebhookTargetPolicy().check("https://[2002:5db8:d822::1]/hooks")  # its 6to4


async def test_a_public_target_passes_and_an_allow_listed_network_too() -> None:
    await WebhookTargetPolicy().check("https://93.184.216.34/hooks")
    await WebhookTargetPolicy(allowed=parse_networks("127.0.0.2, 10.20.0.0/16")).check("http://10.20.3.4:8080/in")


async def test_production_wants_https_and_a_name_is_judged_by_what_it_resolves_to() -> None:
    async def to_metadata(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("169.254.169.254")]

    with pytest.raises(WebhookTargetRefused, match="https"):
        await WebhookTargetPolicy(https_only=True).check("http://93.184.216.34/")
    with pytest.raises(WebhookTargetRefused, match=r"169\.254\.169\.254"):
        await WebhookTargetPolicy(resolver=to_metadata).check("https://partner.example/hooks")
