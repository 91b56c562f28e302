"""Referrals' own record of a CIR signing, on its private log `referrals.signing.v1`.

The signing (with contact details) is the one piece of personal data in the system; referrals keeps it
in Redis for use and on this compacted, referrals-only topic as the record, so that a lost Redis is
rebuilt without asking OFII to send every signing again."""

from __future__ import annotations

from typing import ClassVar

from services.referrals.domain.signing import CirSigningCreate
from shared.events.envelope import EVENT_TYPE_PREFIX, Event


class SigningRecorded(Event):
    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "referrals.signing.v1"

    signing: CirSigningCreate
