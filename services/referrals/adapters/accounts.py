"""People's accounts: auditors (with their territorial directorate and its départements) and partner staff
(with their structure). Passwords are kept only as argon2id hashes; every change goes to referrals'
private credential log first, so accounts come back with everything else after a loss of Redis."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from shared.access import PREFIX, CredentialChange, CredentialJournal, Principal, Role, apply_credential_change

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
TABLE = f"{PREFIX}:accounts"
_hasher = PasswordHasher()  # argon2id, the library's memory-hard defaults (64 MiB, 3 passes)
# Verified against when the login is unknown, so a wrong login costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("passerelle-no-such-account")


class AccountRefused(ValueError):
    """An account that cannot be created as asked: the message says which field is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: Role
    partner_id: str | None = None
    directorate: str | None = None  # an auditor's OFII territorial directorate, e.g. "DT Strasbourg"
    departments: tuple[str, ...] = ()  # an auditor's territory; empty for partner staff
    email: str | None = None  # how an OpenID Connect sign-in (ProConnect) finds the account

    def principal(self) -> Principal:
        territory = frozenset(self.departments) if self.role is Role.AUDITOR else None
        return Principal(self.role, self.partner_id, None, person=self.login, departments=territory)

    def record(self, password_hash: str) -> dict[str, str | None]:
        return {
            "login": self.login,
            "name": self.name,
            "role": self.role.value,
            "partner_id": self.partner_id,
            "directorate": self.directorate,
            "departments": ",".join(self.departments),
            "email": self.email.lower() if self.email else None,
            "password_hash": password_hash,
        }

    @classmethod
    def from_record(cls, record: dict[str, str | None]) -> Account:
        departments = record.get("departments") or ""
        return cls(
            login=str(record["login"]),
            name=str(record["name"]),
            role=Role(str(record["role"])),
            partner_id=record.get("partner_id"),
            directorate=record.get("directorate"),
            departments=tuple(d for d in departments.split(",") if d),
            email=record.get("email"),
        )


class Accounts:
    def __init__(self, redis: Redis, journal: CredentialJournal) -> None:
        self._redis = redis
        self._journal = journal

    async def create(self, account: Account, password: str, at: datetime) -> bool:
        """False when the login is taken."""
        if not LOGIN.match(account.login):
            raise AccountRefused("login", "identifiant : 2 à 40 minuscules, chiffres, '.', '_' ou '-'")
        if len(password) < 12:
            raise AccountRefused("password", "mot de passe : 12 caractères au moins")
        if account.role is Role.PARTNER and not account.partner_id:
            raise AccountRefused("partner_id", "un compte partenaire appartient à une structure (partner_id)")
        if account.role is Role.AUDITOR and not account.departments:
            raise AccountRefused("departments", "un auditeur a un territoire : au moins un département")
        if account.role not in (Role.AUDITOR, Role.PARTNER, Role.OPS):
            raise AccountRefused("role", "rôle : auditor, partner ou ops")
        if await self._redis.hexists(TABLE, account.login):
            return False
        record = account.record(_hasher.hash(password)) | {"created_at": at.isoformat()}
        change = CredentialChange(kind="account", id=account.login, record=record)
        await self._journal(change)  # the log first, then the same projection the rebuild applies
        await apply_credential_change(self._redis, change)
        return True

    async def get(self, login: str) -> Account | None:
        raw = await self._redis.hget(TABLE, login)
        return Account.from_record(json.loads(raw)) if raw else None

    async def all(self) -> list[Account]:
        raw = await self._redis.hgetall(TABLE)
        return sorted((Account.from_record(json.loads(v)) for v in raw.values()), key=lambda a: a.login)

    async def by_email(self, email: str) -> Account | None:
        """The account an identity provider vouches for (its verified e-mail), if there is one."""
        wanted = email.strip().lower()
        return next((a for a in await self.all() if a.email and a.email.lower() == wanted), None)

    async def sign_in(self, login: str, password: str) -> Account | None:
        """The account, when the password is right; None otherwise (same cost either way)."""
        raw = await self._redis.hget(TABLE, login.strip().lower())
        if not raw:
            with contextlib.suppress(VerificationError):
                _hasher.verify(_DUMMY_HASH, password)
            return None
        record = json.loads(raw)
        try:
            _hasher.verify(record["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return Account.from_record(record)
