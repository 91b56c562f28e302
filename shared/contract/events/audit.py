"""`ops.audit.v1`: who saw or changed what, when — every disclosure of personal data is one record."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field

from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.profile import Department


class AuditRecord(Event):
    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "ops.audit.v1"

    actor: str = Field(max_length=160, description="partner:<id>, auditor:<key id>, admin or system")
    action: str = Field(max_length=40, examples=["contact_disclosed"])
    subject: str = Field(
        max_length=100, description="The pseudonymous beneficiary id concerned (account:<login> for accounts)"
    )
    referral_id: str | None = Field(None, max_length=100)
    fields: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=20, description="Which personal fields were disclosed"
    )
    at: datetime
    department: Department | None = Field(
        None, description="The person's département, on an erasure: only its territory's auditors learn of it"
    )
