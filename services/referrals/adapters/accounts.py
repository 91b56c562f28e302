"""People's accounts: auditors (with their territorial directorate and its départements) and partner staff
(with their structure). Passwords are kept only as argon2id hashes, computed and checked off the event
loop (`password_hashing.py`); every change — created, password changed, disabled, enabled — goes to
referrals' private credential log first, so accounts come back as they were (a disabled one disabled)
after a loss of Redis."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

from redis.asyncio import Redis

from services.referrals.adapters.password_hashing import PasswordHashing
from services.referrals.domain.accounts import Account
from shared.access import PREFIX, CredentialJournal, apply_credential_change
from shared.contract.events.credential import CredentialChange
from shared.principals import Role

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
TABLE = f"{PREFIX}:accounts"
MIN_PASSWORD = 12


class AccountRefused(ValueError):
    """An account that cannot be created as asked: the message says which field is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class Accounts:
    def __init__(self, redis: Redis, journal: CredentialJournal, hashing: PasswordHashing | None = None) -> None:
        self._redis = redis
        self._journal = journal
        self._hashing = hashing or PasswordHashing()

    async def create(self, account: Account, password: str, at: datetime) -> bool:
        """False when the login is taken."""
        if not LOGIN.match(account.login):
            raise AccountRefused("login", "identifiant : 2 à 40 minuscules, chiffres, '.', '_' ou '-'")
        _check_password(password)
        if account.role is Role.PARTNER and not account.partner_id:
            raise AccountRefused("partner_id", "un compte partenaire appartient à une structure (partner_id)")
        if account.role is Role.AUDITOR and not account.departments:
            raise AccountRefused("departments", "un auditeur a un territoire : au moins un département")
        if account.role not in (Role.AUDITOR, Role.PARTNER, Role.OPS):
            raise AccountRefused("role", "rôle : auditor, partner ou ops")
        if await self._redis.hexists(TABLE, account.login):
            return False
        record = account.record(await self._hashing.hash(password)) | {"created_at": at.isoformat()}
        await self._write(account.login, record)
        return True

    async def _write(self, login: str, record: dict[str, str | None]) -> None:
        change = CredentialChange(kind="account", id=login, record=record)
        await self._journal(change)  # the log first, then the same projection the rebuild applies
        await apply_credential_change(self._redis, change)

    async def _record(self, login: str) -> dict[str, str | None] | None:
        raw = await self._redis.hget(TABLE, login.strip().lower())
        return json.loads(raw) if raw else None

    async def get(self, login: str) -> Account | None:
        record = await self._record(login)
        return Account.from_record(record) if record else None

    async def all(self) -> list[Account]:
        raw = await self._redis.hgetall(TABLE)
        return sorted((Account.from_record(json.loads(v)) for v in raw.values()), key=lambda a: a.login)

    async def by_email(self, email: str) -> Account | None:
        """The account an identity provider vouches for (its verified e-mail), if there is one."""
        wanted = email.strip().lower()
        return next((a for a in await self.all() if a.email and a.email.lower() == wanted), None)

    async def sign_in(self, login: str, password: str) -> Account | None:
        """The account, when the password is right (disabled or not: the caller says which); None
        otherwise, at the same cost either way."""
        record = await self._record(login)
        stored = str(record["password_hash"]) if record else None
        if not await self._hashing.verify(stored, password) or record is None:
            return None
        return Account.from_record(record)

    async def change_password(self, login: str, password: str, at: datetime) -> Account | None:
        """A new password (its hash on the log); sessions opened before `at` stop being honoured. None
        when there is no such account."""
        _check_password(password)
        record = await self._record(login)
        if record is None:
            return None
        account = replace(Account.from_record(record), password_changed_at=at)
        await self._write(account.login, record | account.record(await self._hashing.hash(password)))
        return account

    async def set_disabled(self, login: str, at: datetime | None) -> Account | None:
        """Disable the account (`at`: since when) or enable it again (None). None when there is no such
        account; the account unchanged when it already was so."""
        record = await self._record(login)
        if record is None:
            return None
        account = Account.from_record(record)
        if account.disabled == (at is not None):
            return account
        account = replace(account, disabled_at=at)
        await self._write(account.login, record | account.record(str(record["password_hash"])))
        return account


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountRefused("password", f"mot de passe : {MIN_PASSWORD} caractères au moins")
