"""What ships is safe as shipped (issue 30, class 3): compose and Kubernetes run in production, where every
secret must come from the operator (the service refuses to start, naming each one missing or left at a
development value), and the development secrets are accepted only while the service listens on loopback.
Production sends session cookies over HTTPS only (`__Host-` prefix, Secure) and HSTS."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from passerelle import kubernetes_manifests as k8s
from services.referrals.config import ReferralsSettings

ROOT = Path(__file__).resolve().parents[2]
BASE = {"kafka_bootstrap_servers": "kafka:9092", "redis_url": "redis://redis:6379/0"}
SECRETS = ("ADMIN_TOKEN", "SESSION_SECRET", "MASTER_KEY")
OWN = {
    "admin_token": "a" * 40,
    "session_secret": "s" * 40,
    "master_key": "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
}


def _refusal(**settings: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        ReferralsSettings(**BASE, **settings)
    return str(refused.value)


def test_production_without_its_secrets_refuses_to_start_naming_each_one() -> None:
    message = _refusal(environment="production")
    for name in SECRETS:
        assert name in message, message


def test_production_refuses_the_development_secrets_and_weak_ones() -> None:
    from services.referrals.config import DEVELOPMENT_ADMIN_TOKEN, DEVELOPMENT_MASTER_KEY, DEVELOPMENT_SESSION_SECRET

    message = _refusal(environment="production", admin_token=DEVELOPMENT_ADMIN_TOKEN,
                       session_secret=DEVELOPMENT_SESSION_SECRET, master_key=DEVELOPMENT_MASTER_KEY)  # fmt: skip
    assert all(name in message for name in SECRETS), message
    assert "SESSION_SECRET" in _refusal(environment="production", **(OWN | {"session_secret": "short"}))


def test_development_secrets_only_while_listening_on_loopback() -> None:
    assert ReferralsSettings(**BASE, http_host="127.0.0.1").environment == "development"
    assert ReferralsSettings(**BASE, http_host="::1").environment == "development"
    message = _refusal(http_host="0.0.0.0")
    assert "HTTP_HOST" in message and all(name in message for name in SECRETS), message
    assert ReferralsSettings(**BASE, http_host="0.0.0.0", **OWN).http_host == "0.0.0.0"  # its own secrets: fine


def test_production_sends_cookies_over_https_only_whatever_the_setting() -> None:
    production = ReferralsSettings(**BASE, **OWN, environment="production", secure_cookies=False)
    assert production.cookies_secure() and production.strict_transport_security()
    development = ReferralsSettings(**BASE)
    assert not development.cookies_secure() and not development.strict_transport_security()


def _env_file() -> dict[str, str]:
    lines = (ROOT / "deploy" / "passerelle.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_compose_runs_production_with_secrets_the_operator_must_give_and_publishes_on_loopback() -> None:
    env = _env_file()
    assert env["ENVIRONMENT"] == "production"
    assert not set(SECRETS) & set(env), "no secret value ships in the env file"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    referrals = compose["services"]["referrals"]
    for name in SECRETS:  # docker compose itself stops, naming the variable, when one is not set
        assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", referrals["environment"][name]), referrals["environment"]
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert "--maxmemory" in compose["services"]["cache"]["command"]  # what may be evicted, apart from the state


def test_the_image_runs_in_production_unless_told_otherwise() -> None:
    assert re.search(r"^ENV .*ENVIRONMENT=production", (ROOT / "Dockerfile").read_text(), re.MULTILINE)


def test_kubernetes_runs_production_and_ships_no_placeholder_secret() -> None:
    documents = [d for documents in k8s.files().values() for d in documents]
    [config] = [d for d in documents if d["kind"] == "ConfigMap"]
    assert config["data"]["ENVIRONMENT"] == "production"
    assert not [d for d in documents if d["kind"] == "Secret"], "the operator creates the secrets (deploy/README.md)"
    [referrals] = [d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "referrals"]
    env = {e["name"]: e for e in referrals["spec"]["template"]["spec"]["containers"][0]["env"]}
    for name in SECRETS:  # optional: a missing one reaches the service, which names it, instead of a silent hang
        assert env[name]["valueFrom"]["secretKeyRef"]["optional"] is True
