from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings

DEVELOPMENT_ADMIN_TOKEN = "development-admin-token"


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

    @model_validator(mode="after")
    def _safe_in_production(self) -> Self:
        if self.environment == "production":
            if self.test_clock:
                raise ValueError("TEST_CLOCK cannot be enabled when ENVIRONMENT=production")
            if self.admin_token.get_secret_value() == DEVELOPMENT_ADMIN_TOKEN or len(self.admin_token) < 32:
                raise ValueError("ADMIN_TOKEN must be set to a secret of at least 32 characters in production")
        return self
