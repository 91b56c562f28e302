"""`ops.audit.v1`: who saw or changed what, when — every disclosure of personal data is one record."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from shared.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.events.profile import Department


class AuditRecord(Event):
    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "ops.audit.v1"

    actor: str = Field(description="partner:<id>, auditor:<key id>, admin or system")
    action: str = Field(examples=["contact_disclosed"])
    subject: str = Field(description="The pseudonymous beneficiary id concerned")
    referral_id: str | None = None
    fields: list[str] = Field(default_factory=list, description="Which personal fields were disclosed")
    at: datetime
    department: Department | None = Field(
        None, description="The person's département, on an erasure: only its territory's auditors learn of it"
    )
