"""One webhook delivery of a candidate entry to a partner: its attempts and where it stands."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class WebhookJob(BaseModel):
    job_id: str
    partner_id: str
    referral_id: str
    url: str
    secret: str
    body: str
    created_at: datetime
    attempts: int = 0
    status: str = "pending"  # pending | delivered | dead | cancelled
    last_error: str | None = None
    delivered_at: datetime | None = None

    def public(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude={"secret", "body"})
