"""`referrals.consent.v1`: the newcomer's consent, as a record — what they agreed to share and with whom,
when, through which channel and who recorded it. Each record states the whole consent at that moment
(version n+1 replaces n); withdrawing is a record that turns a scope off, and takes effect at once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from shared.contract.events.bounded import ProgrammeName
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.profile import BeneficiaryId


class ConsentChannel(StrEnum):
    IN_PERSON = "in_person"  # at the OFII interview, the auditor records it
    CONSOLE = "console"  # an auditor in the console, afterwards
    PHONE = "phone"
    MAIL = "mail"  # a letter or an e-mail from the person
    API = "api"  # another system relays it
    SYSTEM = "system"  # Passerelle itself: the erasure at the end of the retention period


class ConsentRecorded(Event):
    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "consent.recorded.v1"

    beneficiary_id: BeneficiaryId
    version: int = Field(ge=1, le=10_000, description="1 at signing, n+1 at each change")
    contact_with_accepting_partner: bool = Field(
        description="The partner that accepts the person may read their contact details"
    )
    candidate_pools: bool = Field(description="The person is shown, minimised, in other partners' candidate pools")
    pool_programmes: list[ProgrammeName] | None = Field(
        None,
        max_length=50,
        description="Only the pools of these programmes; null for every programme (with candidate_pools)",
    )
    recorded_at: datetime
    recorded_by: str = Field(max_length=120, description="auditor:<key id or account>, system")
    channel: ConsentChannel
    sealed_note: str | None = Field(
        None,
        max_length=1000,
        description="The author's note, sealed with the person's own key: only referrals reads it, and no one"
        " once the person is erased",
    )

    def allows_pool(self, programme: str) -> bool:
        """May the person be shown in a pool for `programme`?"""
        return self.candidate_pools and (self.pool_programmes is None or programme in self.pool_programmes)


def pools_allowed_by(consent: ConsentRecorded | None, programme: str, at_signing: bool) -> bool:
    """The consent record's answer for `programme`; without a record (data from before consent records),
    the answer given at signing."""
    return at_signing if consent is None else consent.allows_pool(programme)
