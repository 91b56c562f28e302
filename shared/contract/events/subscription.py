"""`partner.subscription.v1`: what a partner wants in its candidate pool, and how it is delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from shared.contract.events.bounded import MAX_DEPARTMENTS, Identifier, ProgrammeName
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.profile import Department, RomeCode, Skill
from shared.contract.vocabulary import FrenchLevel


class PoolFilters(BaseModel):
    """Every filter is optional; a candidate matches when it passes all that are given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    programmes: list[ProgrammeName] | None = Field(None, max_length=50)
    departments: list[Department] | None = Field(None, max_length=MAX_DEPARTMENTS)
    min_french: FrenchLevel | None = None
    occupations: list[RomeCode] | None = Field(
        None, max_length=100, description="At least one of these past occupations"
    )
    skills: list[Skill] | None = Field(None, max_length=100, description="At least one of these skills")
    age_bands: list[Annotated[str, Field(max_length=10)]] | None = Field(
        None, max_length=10, examples=[["18-25", "26-35"]]
    )


class WebhookChannel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl
    secret: str = Field(
        min_length=32, max_length=100, description="HMAC-SHA256 signing secret (internal topic, ACL-restricted)"
    )


class PartnerSubscription(Event):
    """A subscription was created, changed or cancelled (`active` false)."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "partner.subscription.v1"

    subscription_id: Identifier
    partner_id: Identifier
    filters: PoolFilters = Field(default_factory=PoolFilters)
    kafka: bool = True
    webhook: WebhookChannel | None = None
    active: bool = True
    changed_at: datetime
