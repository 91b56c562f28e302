"""`referrals.credential.v1`: a change to who may call what, on referrals' private log (the Redis copies
of the credentials are rebuilt from it)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event


class CredentialChange(Event):
    """A partner registered, a key issued (its digest, never the key) or a key revoked (`record` null); a
    person's account created or changed (its argon2 hash, never the password); an e-mail link revoked."""

    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "referrals.credential.v1"

    kind: Literal["partner", "key", "account", "link"]
    id: str = Field(max_length=64)
    record: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=200)] | None] | None = Field(
        max_length=12
    )
