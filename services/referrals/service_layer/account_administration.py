"""What an administrator does to a person's account until the console has its own pages for it (issue 33):
disable it, enable it again, give it a new password. Each change goes to the credential log (so a disabled
account stays disabled after a loss of Redis), ends every session of the account on the server at once,
and is audited on `ops.audit.v1`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.referrals.domain.accounts import Account
from services.referrals.domain.throttling import account_key
from services.referrals.service_layer.ports import AccountStore, SessionEnder
from services.referrals.service_layer.sign_in import Audit, audit_record


@dataclass
class AccountAdministration:
    accounts: AccountStore
    sessions: SessionEnder
    audit: Audit
    clock: Callable[[], datetime]

    async def disable(self, login: str, by: str) -> Account | None:
        """None when there is no such account."""
        account = await self.accounts.set_disabled(login, self.clock())
        if account is not None:
            await self._ended(account, "account_disabled", by)
        return account

    async def enable(self, login: str, by: str) -> Account | None:
        account = await self.accounts.set_disabled(login, None)
        if account is not None:
            await self.audit(audit_record("account_enabled", account_key(account.login), self.clock(), by))
        return account

    async def change_password(self, login: str, password: str, by: str) -> Account | None:
        account = await self.accounts.change_password(login, password, self.clock())
        if account is not None:
            await self._ended(account, "password_changed", by)
        return account

    async def _ended(self, account: Account, action: str, by: str) -> None:
        await self.sessions.end_all_of(account.login)
        await self.audit(audit_record(action, account_key(account.login), self.clock(), by))
