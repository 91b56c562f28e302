"""Contact details only after acceptance and with consent, every disclosure audited; partner topics
carry no personal field at all; the private topics hold personal data only sealed, and an erasure leaves
it readable by no one."""

from __future__ import annotations

import json
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from passerelle.stack import ServiceStack
from services.referrals.config import DEVELOPMENT_MASTER_KEY
from services.referrals.domain.records import PersonalKeyIssued, SigningSealed
from services.referrals.domain.sealing import MasterKey
from services.referrals.service_layer.keyring import Keyring
from shared.contract.events import AuditRecord, ConsentRecorded
from shared.contract.topics import OPS_AUDIT, REFERRALS_CONSENT, REFERRALS_KEY, REFERRALS_SIGNING
from shared.messaging.topic_reading import records_to_end
from shared.redis_factory import make_redis
from tests.e2e.access import issue_partner_key
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import PERSONAL_FIELDS, signing_body
from tests.support import all_keys, collect_records, random_ref


async def _accepted_referral(
    api: httpx.AsyncClient, stack: ServiceStack, department: str, consent: bool
) -> dict[str, Any]:
    partner = random_ref("cons")[:16].lower()
    await open_opening(api, stack, department=department, partner_id=partner)
    body = signing_body(department=department, birth_date="2005-01-01", consent_to_share=consent)
    await api.post("/v1/cir-signings", json=body)
    [referral] = await referrals_of(api, body["beneficiary_id"])
    early = await api.get(f"/v1/referrals/{referral['referral_id']}/contact")
    assert early.status_code == 403 and "once the referral is accepted" in early.json()["detail"]
    assert (await api.post(f"/v1/referrals/{referral['referral_id']}/accept")).status_code == 200
    return referral | {"signing": body}


async def test_the_accepting_partner_gets_contact_details_and_the_disclosure_is_audited(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    referral = await _accepted_referral(api, stack, "971", consent=True)

    response = await api.get(f"/v1/referrals/{referral['referral_id']}/contact")  # as the accepting partner

    assert response.status_code == 200
    assert response.json()["family_name"] == referral["signing"]["contact"]["family_name"]
    [record] = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers, OPS_AUDIT.name,
        lambda r: r.key == referral["beneficiary_id"].encode(), want=1,
    )  # fmt: skip
    audit = AuditRecord.model_validate_json(record.value)
    assert audit.actor == f"partner:{referral['partner_id']}"
    assert (audit.action, audit.referral_id) == ("contact_disclosed", referral["referral_id"])
    assert set(audit.fields) == {"given_name", "family_name", "email"}


async def test_without_consent_nothing_is_disclosed_and_nothing_is_audited(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    referral = await _accepted_referral(api, stack, "972", consent=False)

    response = await api.get(f"/v1/referrals/{referral['referral_id']}/contact")  # as the accepting partner

    assert response.status_code == 403 and "not consented" in response.json()["detail"]
    audited = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers, OPS_AUDIT.name,
        lambda r: r.key == referral["beneficiary_id"].encode(), want=1, timeout_s=3,
    )  # fmt: skip
    assert audited == []


async def test_no_partner_topic_carries_a_personal_field(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    await _accepted_referral(api, stack, "973", consent=True)  # at least one entry exists
    bootstrap = stack.infrastructure.kafka_bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith("partner.") and t.endswith(".candidates.v1")]
    finally:
        await admin.close()
    scanned = 0
    for topic in topics:
        for record in await collect_records(bootstrap, topic, lambda r: r.value is not None, want=10**9, timeout_s=2):
            entry = json.loads(record.value)  # (a tombstone, a deleted pool entry, carries nothing)
            assert not PERSONAL_FIELDS & all_keys(entry), (topic, entry)
            assert "Diallo" not in record.value.decode() and "@" not in record.value.decode()
            scanned += 1
    assert topics and scanned >= len(topics)


def _identifying_values(signing: dict[str, Any]) -> list[str]:
    contact = signing.get("contact") or {}
    values = [signing["beneficiary_id"], signing.get("birth_date"), *contact.values()]
    return [str(value) for value in values if value]


async def test_a_partner_learns_who_the_person_is_only_once_accepted_and_with_consent(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    for consent, department in ((True, "16"), (False, "17")):
        await open_opening(api, stack, department=department, partner_id=random_ref("mini")[:16].lower())
        body = signing_body(department=department, birth_date="2004-06-01", consent_to_share=consent)
        await api.post("/v1/cir-signings", json=body)
        [referral] = await referrals_of(api, body["beneficiary_id"])
        partner = referral["partner_id"]
        one = f"/v1/referrals/{referral['referral_id']}"
        key = await issue_partner_key(stack.url("referrals"), partner)
        async with httpx.AsyncClient(
            base_url=stack.url("referrals"), headers={"Authorization": f"Bearer {key}"}
        ) as as_partner:
            before = [await as_partner.get(f"/v1/partners/{partner}/referrals"), await as_partner.get(one)]
            accepted = await as_partner.post(f"{one}/accept")
            after = [
                accepted,
                await as_partner.get(f"/v1/partners/{partner}/referrals?status=accepted"),
                await as_partner.get(one),
            ]

        assert [r.status_code for r in before + after] == [200] * 5, [r.text[:200] for r in before + after]
        for response in before:  # a proposed referral: the partner sees the case, not the person
            assert not any(value in response.text for value in _identifying_values(body)), response.text[:500]
            found = response.json()
            [view] = [
                v
                for v in (found if isinstance(found, list) else [found])
                if v["referral_id"] == referral["referral_id"]
            ]
            assert view["beneficiary_id"] is None
        listed = [view for view in after[1].json() if view["referral_id"] == referral["referral_id"]]
        views = [accepted.json(), *listed, after[2].json()]
        assert len(views) == 3
        assert all(view["beneficiary_id"] == (body["beneficiary_id"] if consent else None) for view in views)
        if not consent:
            assert not any(value in r.text for r in (after[0], after[2]) for value in _identifying_values(body))


async def test_consent_withdrawn_from_contact_sharing_stops_disclosure_at_once(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    referral = await _accepted_referral(api, stack, "18", consent=True)
    contact = f"/v1/referrals/{referral['referral_id']}/contact"
    assert (await api.get(contact)).status_code == 200
    beneficiary = referral["signing"]["beneficiary_id"]
    change = {"contact_with_accepting_partner": False, "candidate_pools": False, "channel": "mail"}

    answer = await api.put(f"/v1/beneficiaries/{beneficiary}/consent", json=change)

    assert answer.status_code == 200, answer.text
    [signed, withdrawn] = answer.json()["history"]
    assert (signed["channel"], signed["contact_with_accepting_partner"]) == ("in_person", True)
    assert (withdrawn["channel"], withdrawn["contact_with_accepting_partner"], withdrawn["version"]) == (
        "mail",
        False,
        2,
    )
    refused = await api.get(contact)
    assert refused.status_code == 403 and "consented" in refused.json()["detail"]
    again = await api.put(f"/v1/beneficiaries/{beneficiary}/consent", json=change)  # the same: no new version
    assert [v["version"] for v in again.json()["history"]] == [1, 2]
    assert (await api.get(f"/v1/beneficiaries/not-{beneficiary}/consent")).status_code == 404


async def _raw(stack: ServiceStack, topic: str) -> list[Any]:
    return [record async for record in records_to_end(stack.infrastructure.kafka_bootstrap_servers, topic)]


async def test_erasure_leaves_the_private_log_unreadable_for_the_person_and_audits_it(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    contact = {
        "given_name": "Oumou",
        "family_name": "Effacée",
        "email": "oumou.e@example.org",
        "phone": "+33 6 98 76 54 32",
    }
    body = signing_body(department="11", birth_date="1991-07-23", consent_to_share=True, contact=contact)
    person = body["beneficiary_id"]
    assert (await api.post("/v1/cir-signings", json=body)).status_code == 202
    personal = [value.encode() for value in [*contact.values(), "1991-07-23"]]
    for topic in (REFERRALS_SIGNING.name, REFERRALS_KEY.name, REFERRALS_CONSENT.name):  # a raw read: all sealed
        raw = b"".join(r.value or b"" for r in await _raw(stack, topic))
        assert raw and not any(value in raw for value in personal), topic
        assert b"@example.org" not in raw and b"Diallo" not in raw  # nobody's e-mail or name, in any record

    erased = await api.delete(f"/v1/beneficiaries/{person}", params={"channel": "mail"})
    again = await api.delete(f"/v1/beneficiaries/{person}")

    assert erased.status_code == 200, erased.text
    assert again.json() == erased.json() and "contact" in erased.json()["erased"]
    for gone in (f"/v1/beneficiaries/{person}/export", f"/v1/beneficiaries/{person}/consent"):
        answer = await api.get(gone)
        assert answer.status_code == 410 and "effacées" in answer.json()["detail"], answer.text
    [audited] = await collect_records(
        stack.infrastructure.kafka_bootstrap_servers, OPS_AUDIT.name,
        lambda r: r.key == person.encode() and b"personal_data_erased" in (r.value or b""), want=1,
    )  # fmt: skip
    assert AuditRecord.model_validate_json(audited.value).actor.startswith("auditor:")
    # A reader rebuilt from the log, as referrals is after losing Redis: the key's tombstone comes last,
    # so it holds no key for the person, and their sealed signing opens for no one.
    keys = [r for r in await _raw(stack, REFERRALS_KEY.name) if r.key.startswith(f"{person}/".encode())]
    assert keys and keys[-1].value is None
    sealed = [r for r in await _raw(stack, REFERRALS_SIGNING.name) if r.key == person.encode() and r.value]
    assert sealed  # still on the embedded broker, which does not compact: sealed, and now keyless
    ring = Keyring(MasterKey.parse(DEVELOPMENT_MASTER_KEY), _KeysAfterTheLog(keys))
    assert await ring.current(person) is None
    assert await ring.open_signing(SigningSealed.model_validate_json(sealed[-1].value)) is None
    # The pool view was told: the withdrawal of consent came first, with the erasure as its note.
    consent = [ConsentRecorded.model_validate_json(r.value) for r in await _raw(stack, REFERRALS_CONSENT.name)
               if r.key == person.encode()]  # fmt: skip
    assert (consent[-1].candidate_pools, consent[-1].contact_with_accepting_partner) == (False, False)
    redis = make_redis(stack.infrastructure.redis_url)
    try:
        pseudonymous = ("referrals:proposal:", "referrals:published:")  # their latest proposal, a marker
        held = [key async for key in redis.scan_iter(match=f"referrals:*{person}*") if not key.startswith(pseudonymous)]
        assert held == [], held  # the erasure's record is a field of `referrals:erased`, not a key of theirs
        assert await redis.hexists("referrals:erased", person)
    finally:
        await redis.aclose()


class _KeysAfterTheLog:
    """The people's keys as the key topic's records leave them, tombstones applied."""

    def __init__(self, records: list[Any]) -> None:
        self._kept: dict[str, PersonalKeyIssued] = {}
        for record in records:
            if record.value is None:
                self._kept.pop(record.key.decode(), None)
            else:
                self._kept[record.key.decode()] = PersonalKeyIssued.model_validate_json(record.value)

    async def all_of(self, beneficiary_id: str) -> list[PersonalKeyIssued]:
        return [k for k in self._kept.values() if k.beneficiary_id == beneficiary_id]

    async def keep(self, record: PersonalKeyIssued) -> bool:
        raise AssertionError("a reader does not keep keys")

    async def forget(self, beneficiary_id: str, key_id: str | None = None) -> None:
        raise AssertionError("a reader does not forget keys")


async def test_erasure_is_refused_while_a_referral_is_open(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    referral = await _accepted_referral(api, stack, "34", consent=True)

    answer = await api.delete(f"/v1/beneficiaries/{referral['beneficiary_id']}")

    assert answer.status_code == 409 and "orientation" in answer.json()["detail"], answer.text
    assert (await api.get(f"/v1/beneficiaries/{referral['beneficiary_id']}/export")).status_code == 200
