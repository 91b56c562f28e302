"""Who may call what: roles, principals, and the API keys that prove them (shared by the services that
serve partners). A key is shown once; only its SHA-256 is stored; keys can be revoked. Every change is
written first to referrals' private log (`CredentialChange`), so the Redis copy can be rebuilt."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from shared.contract.events.credential import CredentialChange
from shared.messaging.state_guard import state_marker
from shared.principals import Principal, Role

OWNER = "referrals"  # the service that issues keys and rebuilds them from its private log
PREFIX = "referrals:auth"
KEY_PREFIX = "psk"


DEFAULT_KEY_VALIDITY = timedelta(days=365)
TABLES = {"partner": "partners", "key": "keys", "account": "accounts", "link": "links"}


class KeyExpired(Exception):
    """A key past its expiry: refused (401) with the date, so its holder knows to ask for a new one."""

    def __init__(self, key_id: str, expired_at: datetime) -> None:
        self.key_id = key_id
        self.expired_at = expired_at
        super().__init__(f"key {key_id} expired at {expired_at.isoformat()}")


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    secret: str  # the whole key, returned once
    expires_at: datetime

    @property
    def value(self) -> str:
        return self.secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


CredentialJournal = Callable[[CredentialChange], Awaitable[None]]


async def _no_journal(change: CredentialChange) -> None:
    return None


async def apply_credential_change(redis: Redis, change: CredentialChange, prefix: str = PREFIX) -> None:
    """The one write of a credential change into a keyspace (`prefix`): a record set, or deleted."""
    table = f"{prefix}:{TABLES[change.kind]}"
    if change.record is None:
        await redis.hdel(table, change.id)
    else:
        await redis.hset(table, change.id, json.dumps(change.record))


def _now() -> datetime:
    return datetime.now(UTC)


class Credentials:
    def __init__(
        self,
        redis: Redis,
        journal: CredentialJournal = _no_journal,
        clock: Callable[[], datetime] = _now,
        *,
        prefix: str = PREFIX,
        owner: str = OWNER,
    ) -> None:
        """`prefix`, `owner`: the keyspace these credentials live in, and the service whose rebuilt state
        they are part of (referrals issues them; notifications keeps its own copy of the key digests)."""
        self._redis = redis
        self._journal = journal
        self._clock = clock
        self._prefix = prefix
        self._owner = owner

    async def register_partner(self, partner_id: str, name: str, at: datetime, email: str | None = None) -> bool:
        """False when the partner exists already."""
        if await self._redis.hexists(f"{self._prefix}:partners", partner_id):
            return False
        record = {"partner_id": partner_id, "name": name, "registered_at": at.isoformat()}
        if email:
            record["email"] = email
        await self._record(CredentialChange(kind="partner", id=partner_id, record=record))
        return True

    async def partner(self, partner_id: str) -> dict[str, str] | None:
        raw = await self._redis.hget(f"{self._prefix}:partners", partner_id)
        return json.loads(raw) if raw else None

    async def issue_key(
        self,
        role: Role,
        partner_id: str | None,
        at: datetime,
        valid_for: timedelta = DEFAULT_KEY_VALIDITY,
        departments: list[str] | None = None,
    ) -> IssuedKey:
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        expires_at = at + valid_for
        record = {
            "role": role.value,
            "partner_id": partner_id,
            "digest": _digest(secret),
            "issued_at": at.isoformat(),
            "expires_at": expires_at.isoformat(),
        }
        if departments:  # an auditor key limited to a territory
            record["departments"] = ",".join(departments)
        await self._record(CredentialChange(kind="key", id=key_id, record=record))
        return IssuedKey(key_id, secret, expires_at)

    async def revoke(self, key_id: str) -> bool:
        if not await self._redis.hexists(f"{self._prefix}:keys", key_id):
            return False
        await self._record(CredentialChange(kind="key", id=key_id, record=None))
        return True

    async def intact(self) -> bool:
        """False while the keys are missing from Redis (lost, and not yet rebuilt by referrals)."""
        return bool(await self._redis.exists(state_marker(self._owner)))

    async def _record(self, change: CredentialChange) -> None:
        """The log first, then the projection of the change (the same the rebuild applies)."""
        await self._journal(change)
        await self.restore(change)

    async def restore(self, change: CredentialChange) -> None:
        """Apply one change: live after journaling it, and when rebuilding from the log."""
        await apply_credential_change(self._redis, change, self._prefix)

    async def revoke_link(self, link_id: str, at: datetime) -> None:
        """An e-mail link that must no longer answer (its referral, or the partner, asked)."""
        record = {"revoked_at": at.isoformat()}
        await self._record(CredentialChange(kind="link", id=link_id, record=record))

    async def link_revoked(self, link_id: str) -> bool:
        return bool(await self._redis.hexists(f"{self._prefix}:links", link_id))

    async def partner_keys(self, partner_id: str) -> list[dict[str, str]]:
        """The partner's keys (id, issue and expiry dates; never the digest), newest first."""
        keys = await self._redis.hgetall(f"{self._prefix}:keys")
        found = []
        for key_id, raw in keys.items():
            record = json.loads(raw)
            if record.get("partner_id") == partner_id:
                found.append({"key_id": str(key_id), "issued_at": record.get("issued_at", ""),
                              "expires_at": record.get("expires_at", "")})  # fmt: skip
        return sorted(found, key=lambda k: k["issued_at"], reverse=True)

    async def authenticate(self, presented: str) -> Principal | None:
        """The principal a key belongs to, or None for an unknown, malformed or revoked key; KeyExpired for
        a key past its expiry (keys issued before expiries existed have none)."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        raw = await self._redis.hget(f"{self._prefix}:keys", parts[1])
        if not raw:
            return None
        record = json.loads(raw)
        if not hmac.compare_digest(record["digest"], _digest(presented)):
            return None
        if record.get("expires_at") and self._clock() >= datetime.fromisoformat(record["expires_at"]):
            raise KeyExpired(parts[1], datetime.fromisoformat(record["expires_at"]))
        territory = frozenset(record["departments"].split(",")) if record.get("departments") else None
        return Principal(Role(record["role"]), record.get("partner_id"), parts[1], departments=territory)
