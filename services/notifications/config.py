from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    http_port: int = Field(8002, ge=0, le=65535)
    webhook_backoff_base_s: float = Field(2.0, gt=0, description="First retry delay; doubles each attempt")
    webhook_max_delay_s: float = Field(600.0, gt=0)
    webhook_retry_window_s: float = Field(24 * 3600.0, gt=0, description="After this, a webhook is dead-lettered")
    webhook_timeout_s: float = Field(5.0, gt=0)
    webhook_poll_interval_s: float = Field(0.2, gt=0)
