"""Sign-in throttling against a real Redis, with the clock injected: free failures, then a delay that
doubles, then a temporary lock that is audited once and lifts by itself; a success clears the account
but not the client; the password of a disabled account signs nobody in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from services.referrals.adapters.accounts import Accounts
from services.referrals.adapters.sign_in_throttle import ACCOUNT_POLICY, SignInThrottle
from services.referrals.domain.accounts import Account
from services.referrals.domain.throttling import account_key
from services.referrals.service_layer.sign_in import (
    AccountDisabled,
    PasswordSignIn,
    TooManyAttempts,
    WrongCredentials,
)
from shared.contract.events import AuditRecord
from shared.contract.events.credential import CredentialChange
from shared.principals import Role

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
PASSWORD = "un-mot-de-passe-long"


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


async def _world(redis: Redis) -> tuple[PasswordSignIn, Clock, list[AuditRecord], Accounts]:
    clock, audited = Clock(), []

    async def journal(change: CredentialChange) -> None:
        return None

    async def audit(record: AuditRecord) -> None:
        audited.append(record)

    accounts = Accounts(redis, journal)
    await accounts.create(Account("claire.martin", "Claire", Role.AUDITOR, departments=("67",)), PASSWORD, START)
    return PasswordSignIn(accounts, SignInThrottle(redis, clock), audit, clock), clock, audited, accounts


async def test_wrong_passwords_slow_then_lock_the_account_and_the_lock_lifts(private_redis: Redis) -> None:
    sign_in, clock, audited, _ = await _world(private_redis)
    for _ in range(ACCOUNT_POLICY.free_failures):  # free: no wait in between
        with pytest.raises(WrongCredentials):
            await sign_in("claire.martin", "faux", "203.0.113.1")
    waits = []
    for _ in range(ACCOUNT_POLICY.lock_after - ACCOUNT_POLICY.free_failures):
        with pytest.raises(WrongCredentials):
            await sign_in("claire.martin", "faux", "203.0.113.1")
        with pytest.raises(TooManyAttempts) as early:  # even the right password, before the wait is over
            await sign_in("claire.martin", PASSWORD, "203.0.113.1")
        waits.append(early.value.retry_after_s)
        clock.at += timedelta(seconds=early.value.retry_after_s)
    assert waits[:4] == [1, 2, 4, 8] and waits[-1] == ACCOUNT_POLICY.lock_s
    assert early.value.locked
    assert [(r.action, r.subject) for r in audited] == [("sign_in_locked", "account:claire.martin")]

    await sign_in("claire.martin", PASSWORD, "203.0.113.1")  # the lock has lifted; the right password works
    assert audited[-1].action == "signed_in" and audited[-1].actor == "auditor:claire.martin"
    with pytest.raises(WrongCredentials):  # and the account's count started again (free failures)
        await sign_in("claire.martin", "faux", "203.0.113.2")
    await sign_in("claire.martin", PASSWORD, "203.0.113.2")


async def test_one_client_guessing_across_accounts_is_slowed_whatever_the_login(private_redis: Redis) -> None:
    sign_in, _clock, _, _ = await _world(private_redis)
    for n in range(10):
        with pytest.raises(WrongCredentials):
            await sign_in(f"inconnu-{n}", "faux", "203.0.113.9")
    with pytest.raises(WrongCredentials):
        await sign_in("inconnu-10", "faux", "203.0.113.9")
    with pytest.raises(TooManyAttempts):  # another login, the same client: it waits too
        await sign_in("claire.martin", PASSWORD, "203.0.113.9")
    await sign_in("claire.martin", PASSWORD, "203.0.113.10")  # another client is not held back
    await sign_in("claire.martin", PASSWORD, "203.0.113.10")


async def test_a_disabled_account_is_refused_with_its_right_password(private_redis: Redis) -> None:
    sign_in, _clock, audited, accounts = await _world(private_redis)
    await accounts.set_disabled("claire.martin", START)
    with pytest.raises(AccountDisabled):
        await sign_in("claire.martin", PASSWORD, "203.0.113.1")
    assert not [r for r in audited if r.action == "signed_in"]
    await accounts.set_disabled("claire.martin", None)
    assert (await sign_in("claire.martin", PASSWORD, "203.0.113.1")).login == "claire.martin"


async def test_the_throttle_keeps_nothing_it_does_not_need(private_redis: Redis) -> None:
    throttle = SignInThrottle(private_redis, Clock())
    await throttle.failed(account_key("Quelqu'un"))
    ttl = await private_redis.ttl("referrals:sign-in:account:quelqu'un")
    assert 0 < ttl <= ACCOUNT_POLICY.window_s + 60
