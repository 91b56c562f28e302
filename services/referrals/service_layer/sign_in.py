"""Signing a person in with a password: throttled per account and per client before the password is
checked, the check itself off the event loop, and what matters audited on `ops.audit.v1` (a sign-in, a
lock that starts). A disabled account is refused even with the right password."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from services.referrals.domain.accounts import Account
from services.referrals.domain.throttling import Wait, account_key, client_key
from services.referrals.service_layer.ports import AccountStore, Throttle
from shared.contract.events import AuditRecord

log = logging.getLogger(__name__)
SIGN_IN_ACTOR = "system:sign-in"
Audit = Callable[[AuditRecord], Awaitable[None]]


class SignInRefused(Exception):
    """The person is not signed in; subclasses say why, as far as it may be said."""


class WrongCredentials(SignInRefused):
    """Unknown login or wrong password: the same answer for both."""


class TooManyAttempts(SignInRefused):
    def __init__(self, wait: Wait, now: datetime) -> None:
        self.retry_after_s = wait.seconds(now)
        self.locked = wait.locked
        super().__init__(f"retry in {self.retry_after_s} s")


class AccountDisabled(SignInRefused):
    """The right password for an account an administrator disabled."""


def audit_record(action: str, subject: str, at: datetime, actor: str = SIGN_IN_ACTOR) -> AuditRecord:
    """An audit record about an account (`account:<login>`) or a client (`client:<digest of its address>`)."""
    return AuditRecord(actor=actor, action=action, subject=subject, at=at)


@dataclass
class PasswordSignIn:
    accounts: AccountStore
    throttle: Throttle
    audit: Audit
    clock: Callable[[], datetime]

    async def __call__(self, login: str, password: str, client: str) -> Account:
        login = login.strip().lower()
        keys = (account_key(login), client_key(client))
        wait = await self.throttle.must_wait(*keys)
        if wait is not None:
            log.info("sign-in refused: waiting", extra={"account": keys[0], "client": keys[1], "locked": wait.locked})
            raise TooManyAttempts(wait, self.clock())
        account = await self.accounts.sign_in(login, password)
        if account is None:
            log.info("sign-in refused: wrong login or password", extra={"account": keys[0], "client": keys[1]})
            for failure in await self.throttle.failed(*keys):
                if failure.locked_now:
                    log.warning("sign-in locked after %d failures", failure.failures, extra={"key": failure.key})
                    await self.audit(audit_record("sign_in_locked", failure.key, self.clock()))
            raise WrongCredentials()
        await self.throttle.succeeded(login)
        if account.disabled:
            log.info("sign-in refused: account disabled", extra={"account": keys[0]})
            raise AccountDisabled()
        await self.audit(audit_record("signed_in", keys[0], self.clock(), actor=f"{account.role.value}:{login}"))
        return account
