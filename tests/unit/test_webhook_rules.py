import random
from datetime import UTC, datetime

import pytest

from services.notifications.adapters.webhook_sender import RetryPolicy
from services.notifications.domain.pool_filters import fits
from services.notifications.domain.signature import sign, verify
from services.referrals.domain.referral import candidate_summary
from shared.contract.events import PoolFilters, ReferralEvent
from shared.contract.vocabulary import ReferralStatus
from tests.factories import profile

SECRET = "whsec_" + "x" * 40
BODY = b'{"referral_id": "r-1"}'


def test_a_signature_verifies_with_the_secret_and_nothing_else() -> None:
    header = sign(SECRET, 1_795_000_000, BODY)

    assert header.startswith("t=1795000000,v1=")
    assert verify(SECRET, header, BODY, now=1_795_000_010)
    assert not verify(SECRET, header, BODY + b" ", now=1_795_000_010)
    assert not verify("whsec_other" + "y" * 30, header, BODY, now=1_795_000_010)
    assert not verify(SECRET, "garbage", BODY, now=1_795_000_010)


def test_an_old_signature_is_refused_as_a_replay() -> None:
    header = sign(SECRET, 1_795_000_000, BODY)
    assert not verify(SECRET, header, BODY, now=1_795_000_000 + 301)


def test_retries_back_off_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(base_s=2.0, max_delay_s=60.0, jitter=0.2)
    rng = random.Random(1)
    delays = [policy.delay(n, rng).total_seconds() for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        nominal = min(2.0 * 2 ** (n - 1), 60.0)
        assert 0.8 * nominal <= delay <= 1.2 * nominal


def _event(**overrides: object) -> ReferralEvent:
    person = profile(**overrides)
    return ReferralEvent(
        referral_id="r-1", beneficiary_id=person.beneficiary_id, opening_id="o-1", partner_id="epide",
        programme="Epide", status=ReferralStatus.PROPOSED, occurred_at=datetime(2026, 11, 20, tzinfo=UTC),
        candidate=candidate_summary(person, datetime(2026, 11, 20).date()),
    )  # fmt: skip


def test_pool_filters_each_narrow_the_pool() -> None:
    cook = _event(department="67", french_level="B1", occupations=["G1602"], birth_date="2004-06-01")

    assert fits(PoolFilters(), cook)
    assert fits(
        PoolFilters(departments=["67", "68"], min_french="A2", occupations=["G1602"], age_bands=["18-25"]), cook
    )
    assert not fits(PoolFilters(departments=["75"]), cook)
    assert not fits(PoolFilters(min_french="B2"), cook)
    assert not fits(PoolFilters(occupations=["F1703"]), cook)
    assert not fits(PoolFilters(programmes=["HOPE"]), cook)
    assert not fits(PoolFilters(age_bands=["26-35"]), cook)


def test_standard_webhooks_headers_verify_with_the_official_library_for_new_and_older_secrets() -> None:
    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError

    from services.notifications.domain.signature import standard_headers
    from shared.webhooks.secrets import new_webhook_secret

    now = datetime.now(UTC)
    for secret in (new_webhook_secret(), "whsec_" + "Ab-_" * 10):  # the second: a secret issued before 0.2
        headers = standard_headers(secret, "delivery-1", now, BODY)
        assert Webhook(secret).verify(BODY, headers) == {"referral_id": "r-1"}
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(BODY + b" ", headers)
    assert new_webhook_secret().startswith("whsec_") and len(new_webhook_secret()) == 6 + 44
