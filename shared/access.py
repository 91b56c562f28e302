"""Who may call what: roles, principals, and the API keys that prove them (shared by the services that
serve partners). A key is shown once; only its SHA-256 is stored; keys can be revoked."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from redis.asyncio import Redis


class Role(StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"
    PARTNER = "partner"
    OPS = "ops"


@dataclass(frozen=True)
class Principal:
    role: Role
    partner_id: str | None = None
    key_id: str | None = None

    @property
    def actor(self) -> str:
        """How the caller is named on events and in the audit trail."""
        if self.role is Role.PARTNER:
            return f"partner:{self.partner_id}"
        return self.role.value if self.key_id is None else f"{self.role.value}:{self.key_id}"


PREFIX = "referrals:auth"
KEY_PREFIX = "psk"


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    secret: str  # the whole key, returned once

    @property
    def value(self) -> str:
        return self.secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Credentials:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def register_partner(self, partner_id: str, name: str, at: datetime) -> bool:
        """False when the partner exists already."""
        record = json.dumps({"partner_id": partner_id, "name": name, "registered_at": at.isoformat()})
        return bool(await self._redis.hsetnx(f"{PREFIX}:partners", partner_id, record))

    async def partner(self, partner_id: str) -> dict[str, str] | None:
        raw = await self._redis.hget(f"{PREFIX}:partners", partner_id)
        return json.loads(raw) if raw else None

    async def issue_key(self, role: Role, partner_id: str | None, at: datetime) -> IssuedKey:
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        record = {"role": role.value, "partner_id": partner_id, "digest": _digest(secret), "issued_at": at.isoformat()}
        await self._redis.hset(f"{PREFIX}:keys", key_id, json.dumps(record))
        return IssuedKey(key_id, secret)

    async def revoke(self, key_id: str) -> bool:
        return bool(await self._redis.hdel(f"{PREFIX}:keys", key_id))

    async def keys_of(self, partner_id: str) -> list[str]:
        keys = await self._redis.hgetall(f"{PREFIX}:keys")
        return sorted(str(k) for k, raw in keys.items() if json.loads(raw).get("partner_id") == partner_id)

    async def authenticate(self, presented: str) -> Principal | None:
        """The principal a key belongs to, or None for an unknown, malformed or revoked key."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        raw = await self._redis.hget(f"{PREFIX}:keys", parts[1])
        if not raw:
            return None
        record = json.loads(raw)
        if not hmac.compare_digest(record["digest"], _digest(presented)):
            return None
        return Principal(Role(record["role"]), record.get("partner_id"), parts[1])
