"""Contact details only after acceptance and with consent, every disclosure audited; partner topics
carry no personal field at all."""

from __future__ import annotations

import json
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from passerelle.stack import ServiceStack
from shared.events import AuditRecord
from shared.topics import OPS_AUDIT
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
        for record in await collect_records(bootstrap, topic, lambda r: True, want=10**9, timeout_s=2):
            entry = json.loads(record.value)
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
