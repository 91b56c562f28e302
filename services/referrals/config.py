from __future__ import annotations

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
    admin_token: SecretStr = Field(
        SecretStr(DEVELOPMENT_ADMIN_TOKEN),
        description="Bearer token of the administrator (registers partners, issues keys)",
    )

    session_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_SESSION_SECRET), description="Signs the console's session cookies and e-mail links"
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
    secure_cookies: bool = Field(False, description="Session cookie only over HTTPS (set it behind TLS)")
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
    master_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_MASTER_KEY),
        description="Wraps each person's key ('<key id>:<32 bytes base64url>'); never on a topic",
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
        return MasterKey.parse(self.master_key.get_secret_value())

    @model_validator(mode="after")
    def _safe_in_production(self) -> Self:
        if self.environment == "production":
            if self.test_clock:
                raise ValueError("TEST_CLOCK cannot be enabled when ENVIRONMENT=production")
            if self.admin_token.get_secret_value() == DEVELOPMENT_ADMIN_TOKEN or len(self.admin_token) < 32:
                raise ValueError("ADMIN_TOKEN must be set to a secret of at least 32 characters in production")
            if self.session_secret.get_secret_value() == DEVELOPMENT_SESSION_SECRET:
                raise ValueError("SESSION_SECRET must be set to a secret of your own in production")
            if self.master_key.get_secret_value() == DEVELOPMENT_MASTER_KEY:
                raise ValueError("MASTER_KEY must be set to a key of your own in production (passerelle master-key)")
        self.master()  # a malformed key stops the service at start, naming the setting
        return self
