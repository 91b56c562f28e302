from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator

from services.referrals.domain.decision_window import DecisionWindows
from services.referrals.domain.sealing import MasterKey
from shared.settings import ServiceSettings

DEVELOPMENT_ADMIN_TOKEN = "development-admin-token"
DEVELOPMENT_SESSION_SECRET = "development-session-secret-not-for-production"
# Wraps the people's keys in development and tests only; production refuses it (`passerelle master-key`).
DEVELOPMENT_MASTER_KEY = "dev-1:cGFzc2VyZWxsZS1kZXYtbWFzdGVyLWtleS0zMmJ5dGU="


def default_rome_path() -> Path:
    return Path(sys.prefix) / "share" / "passerelle" / "rome-4.0.json"


def _default_assets_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "node_modules"


class ReferralsSettings(ServiceSettings):
    http_port: int = Field(8000, ge=0, le=65535)
    min_age_at_signing: int = Field(16, ge=0, le=120, description="A signing by someone younger is refused (422)")
    max_age_at_signing: int = Field(100, ge=0, le=130, description="A signing by someone older is refused (422)")
    deadline_sweep_interval_s: float = Field(60.0, ge=0.2, description="How often deadlines are checked")
    test_clock: bool = Field(False, description="Expose PUT /v1/ops/clock to move time forward (tests only)")
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token of the administrator (registers partners, issues keys); 32 characters at least. "
        "Unset: the development token, accepted only outside production and while HTTP_HOST is loopback",
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Signs e-mail links and the console's pre-sign-in cookie; 32 characters at least. Unset: the "
        "development secret, on the same terms as ADMIN_TOKEN",
    )
    session_hours: float = Field(
        8.0, gt=0, le=24, description="A console session ends this long after sign-in, however busy (absolute)"
    )
    session_idle_minutes: float = Field(
        30.0, gt=0, le=24 * 60, description="A console session unused for this long is ended (idle)"
    )
    sign_in_workers: int = Field(
        1, ge=1, le=16, description="Threads that check passwords (argon2id, 64 MiB each), off the event loop"
    )
    sign_in_max_waiting: int = Field(
        32, ge=0, le=10_000, description="Password checks that may wait for a thread; more are answered 503"
    )
    secure_cookies: bool = Field(
        False, description="Cookies only over HTTPS (__Host- prefix); always so with ENVIRONMENT=production"
    )
    rome_referential_path: Path = Field(default_factory=default_rome_path, description="ROME 4.0 JSON file")
    assets_dir: Path = Field(default_factory=_default_assets_dir, description="npm assets (Swagger UI)")
    console_url: str = Field("http://127.0.0.1:8000", description="Public base URL, for links in e-mails")
    smtp_host: str | None = Field(None, description="SMTP relay for partners' e-mails; none: no e-mail is sent")
    smtp_port: int = Field(25, ge=1, le=65535)
    mail_from: str = Field("passerelle@localhost", description="Sender of partners' e-mails")
    oidc_issuer_url: str | None = Field(
        None, description="OpenID Connect provider (ProConnect for French public agents); none: passwords only"
    )
    oidc_client_id: str = Field("passerelle", description="This service's client id at the OIDC provider")
    oidc_client_secret: SecretStr = Field(SecretStr(""), description="This service's client secret")
    oidc_label: str = Field("ProConnect", description="The sign-in button names the provider")
    lag_sample_interval_s: float = Field(10.0, ge=1.0, description="How often the ops page samples consumer lag")
    link_days: float = Field(8.0, gt=0, le=60, description="An e-mail link expires after this many days")
    master_key: SecretStr | None = Field(
        None,
        description="Wraps each person's key ('<key id>:<32 bytes base64url>', `passerelle master-key`); never on a "
        "topic. Unset: the development key, on the same terms as ADMIN_TOKEN",
    )
    retention_months: int = Field(
        24, ge=1, le=120, description="Personal data is erased this long after the person's last referral closed"
    )
    max_batch_lines: int = Field(
        1000, ge=1, le=100_000, description="POST /v1/cir-signings/batch takes at most this many lines"
    )
    retention_sweep_interval_s: float = Field(3600.0, ge=0.2, description="How often retention is checked")
    decision_window_minutes: int = Field(
        0, ge=0, le=7 * 1440,
        description="Proposals wait this long, provisionally, for a joint re-solve before being sent (0: sent at once)",
    )  # fmt: skip
    decision_window_offset_minutes: int = Field(
        0, ge=0, lt=1440, description="Windows are aligned on midnight in Paris plus this (1020 with 1440: 17:00 daily)"
    )

    def decision_windows(self) -> DecisionWindows:
        return DecisionWindows(self.decision_window_minutes, self.decision_window_offset_minutes)

    def master(self) -> MasterKey:
        return MasterKey.parse(_value(self.master_key, DEVELOPMENT_MASTER_KEY))

    def admin_secret(self) -> str:
        return _value(self.admin_token, DEVELOPMENT_ADMIN_TOKEN)

    def session_key(self) -> str:
        return _value(self.session_secret, DEVELOPMENT_SESSION_SECRET)

    def cookies_secure(self) -> bool:
        return self.secure_cookies or self.environment == "production"

    def strict_transport_security(self) -> bool:
        """HSTS on every answer: production runs behind TLS only."""
        return self.environment == "production"

    @model_validator(mode="after")
    def _safe_as_configured(self) -> Self:
        """Refuse to start, naming every setting at fault at once: in production a secret missing, left at
        its development value or too short; elsewhere a development secret while listening beyond loopback."""
        problems = []
        given = {"ADMIN_TOKEN": self.admin_token, "SESSION_SECRET": self.session_secret, "MASTER_KEY": self.master_key}
        development = {"ADMIN_TOKEN": DEVELOPMENT_ADMIN_TOKEN, "SESSION_SECRET": DEVELOPMENT_SESSION_SECRET,
                       "MASTER_KEY": DEVELOPMENT_MASTER_KEY}  # fmt: skip
        if self.environment == "production":
            if self.test_clock:
                problems.append("TEST_CLOCK : interdit en production / cannot be enabled in production")
            for name, secret in given.items():
                if secret is None:
                    problems.append(f"{name} : à fournir en production / must be set in production")
                elif secret.get_secret_value() == development[name]:
                    problems.append(f"{name} : valeur de développement refusée / the development value is refused")
                elif name != "MASTER_KEY" and len(secret) < MIN_SECRET_CHARS:
                    problems.append(
                        f"{name} : {MIN_SECRET_CHARS} caractères au moins / at least {MIN_SECRET_CHARS} characters"
                    )
        elif not _loopback(self.http_host):
            defaulted = [name for name, secret in given.items() if secret is None]
            if defaulted:
                problems.append(
                    f"HTTP_HOST={self.http_host} : pas une adresse de bouclage, les secrets de développement y sont "
                    "refusés / not a loopback address: development secrets are refused there"
                )
                problems += [f"{name} : à fournir hors bouclage / must be set beyond loopback" for name in defaulted]
        if problems:
            raise ValueError("; ".join(problems))
        self.master()  # a malformed key stops the service at start, naming the setting
        return self


MIN_SECRET_CHARS = 32


def _value(secret: SecretStr | None, development: str) -> str:
    return secret.get_secret_value() if secret is not None else development


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
