"""Accounts and e-mail links against a real Redis: argon2 sign-in, rebuild from the credential log,
link expiry by the injected clock, revocation and tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from services.referrals.adapters.accounts import AccountRefused, Accounts
from services.referrals.adapters.referral_links import LinkRefused, ReferralLinks
from services.referrals.domain.accounts import Account
from shared.access import Credentials
from shared.contract.events.credential import CredentialChange
from shared.principals import Role
from tests.support import random_ref

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


async def test_an_account_signs_in_only_with_its_password_and_comes_back_from_the_log(redis: Redis) -> None:
    journal: list[CredentialChange] = []

    async def keep(change: CredentialChange) -> None:
        journal.append(change)

    accounts = Accounts(redis, keep)
    login = random_ref("auditrice").lower()[:40]
    account = Account(login, "Claire Martin", Role.AUDITOR, directorate="DT Strasbourg", departments=("67", "68"))
    assert await accounts.create(account, "un-mot-de-passe-long", NOW)
    assert not await accounts.create(account, "un-mot-de-passe-long", NOW)  # the login is taken
    assert journal[0].kind == "account" and "un-mot-de-passe-long" not in journal[0].model_dump_json()
    assert str(journal[0].record["password_hash"]).startswith("$argon2id$")  # type: ignore[index]

    assert await accounts.sign_in(login, "pas-le-bon-mot-de-passe") is None
    assert await accounts.sign_in("personne-de-ce-nom", "un-mot-de-passe-long") is None
    signed = await accounts.sign_in(login, "un-mot-de-passe-long")
    assert signed is not None and signed.principal().departments == frozenset({"67", "68"})
    assert signed.principal().actor == f"auditor:{login}"

    await redis.hdel("referrals:auth:accounts", login)  # Redis lost it; the log still has it
    assert await accounts.sign_in(login, "un-mot-de-passe-long") is None
    await Credentials(redis).restore(journal[0])
    assert await accounts.sign_in(login, "un-mot-de-passe-long") == account


@pytest.mark.parametrize(
    ("account", "password", "field"),
    [
        (Account("x", "X", Role.AUDITOR, departments=("67",)), "un-mot-de-passe-long", "login"),
        (Account("court.mdp", "X", Role.AUDITOR, departments=("67",)), "court", "password"),
        (Account("sans.structure", "X", Role.PARTNER), "un-mot-de-passe-long", "partner_id"),
        (Account("sans.territoire", "X", Role.AUDITOR), "un-mot-de-passe-long", "departments"),
    ],
)
async def test_an_account_that_cannot_work_is_refused_with_its_field(
    redis: Redis, account: Account, password: str, field: str
) -> None:
    with pytest.raises(AccountRefused) as refused:
        await Accounts(redis, Credentials(redis)._journal).create(account, password, NOW)
    assert refused.value.field == field


async def test_a_link_opens_until_it_expires_or_is_revoked_and_never_when_tampered(redis: Redis) -> None:
    links = ReferralLinks("secret-de-test", timedelta(days=8), Credentials(redis))
    token, claim = links.issue("referral-1", "epide", NOW)
    assert (await links.read(token, NOW + timedelta(days=7, hours=23))).referral_id == "referral-1"
    with pytest.raises(LinkRefused, match="expiré"):
        await links.read(token, NOW + timedelta(days=8))
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]  # a full 6 bits of the signature
    with pytest.raises(LinkRefused, match="pas valide"):
        await links.read(tampered, NOW)
    with pytest.raises(LinkRefused, match="pas valide"):
        await ReferralLinks("un-autre-secret", timedelta(days=8), Credentials(redis)).read(token, NOW)
    await links.revoke(claim, NOW)
    with pytest.raises(LinkRefused, match="révoqué"):
        await links.read(token, NOW + timedelta(hours=1))
