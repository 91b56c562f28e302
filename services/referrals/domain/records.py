"""Referrals' own record of a CIR signing, on its private log `referrals.signing.v1`, and the person's key.

The signing (with contact details) is the one piece of personal data in the system; referrals keeps it
in Redis for use and on this compacted, referrals-only topic as the record, so that a lost Redis is
rebuilt without asking OFII to send every signing again. On the topic it is sealed with the person's own
key (`PersonalKeyIssued`, on `referrals.key.v1`): destroying the key erases the person from the log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from services.referrals.domain.signing import CirSigningCreate
from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event
from shared.contract.events.profile import BeneficiaryId

MAX_VERSIONS_KEPT = 20  # so that any record fits the consumers' size limit
# The audit action of an erasure: the one record of the person that stays, so that nothing comes back.
PERSONAL_DATA_ERASED = "personal_data_erased"
ERASED_FIELDS = ("signing", "contact", "birth_date", "profile_versions", "consent", "audit", "personal_key")


class ProfileVersion(BaseModel):
    """One version of a newcomer's profile: who recorded it, when, and which fields changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1, le=10_000)
    at: datetime
    by: str = Field(max_length=100)
    changed: list[Annotated[str, Field(max_length=30)]] = Field(default_factory=list, max_length=20)
    note: str | None = Field(None, max_length=200)


class SigningRecorded(BaseModel):
    """The signing as it stands (its latest version) and the list of its versions: a compacted topic
    keeps only the last record per newcomer, so each record carries the whole history. It reaches the
    topic only sealed (`SigningSealed`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    signing: CirSigningCreate
    history: list[ProfileVersion] = Field(
        default_factory=list, max_length=MAX_VERSIONS_KEPT, description="The latest versions, oldest first"
    )


# base64url of a 12-byte nonce, the largest SigningRecorded's JSON (180,634 bytes: tests/unit/
# test_every_event_made_is_bounded.py recomputes it) and a 16-byte tag; the sealed event stays under the
# consumers' 256 KiB, so a rebuild can read back every signing it sealed.
SEALED_CHARS = 241_000


class SigningSealed(Event):
    """A `SigningRecorded`, sealed with the person's key: only the pseudonymous id is readable."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "referrals.signing.sealed.v1"

    beneficiary_id: BeneficiaryId
    master_key_id: str = Field(max_length=40, description="Which master key wraps the personal key")
    key_id: str = Field(max_length=40, description="Which of the person's keys sealed it")
    sealed: str = Field(
        max_length=SEALED_CHARS,
        pattern=r"^[A-Za-z0-9_=-]*$",
        description="base64url(nonce, AES-256-GCM ciphertext and tag)",
    )


class PersonalKeyIssued(Event):
    """A key of the person's own, wrapped by the master key (never in clear on a topic), logged under
    `<beneficiary id>/<key id>`: a person normally has one, and two instances racing at a first signing
    (or a signing in flight while Redis is lost) leave two, both kept, so that no record becomes unreadable.
    The tombstones of all of them erase the person."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "referrals.key.v1"

    beneficiary_id: BeneficiaryId
    key_id: str = Field(max_length=40)
    master_key_id: str = Field(max_length=40)
    wrapped_key: str = Field(max_length=200, description="base64url(nonce, the 32-byte key sealed, tag)")
    issued_at: datetime


def key_record_key(beneficiary_id: str, key_id: str) -> str:
    """The Kafka key of one of a person's keys on `referrals.key.v1`."""
    return f"{beneficiary_id}/{key_id}"


def split_key_record_key(key: str) -> tuple[str, str | None]:
    beneficiary_id, _, key_id = key.partition("/")
    return beneficiary_id, key_id or None
