"""Erasure by crypto-shredding and the retention sweep, through referrals' own wiring over fakes: what is
sealed on the private log, what an erasure destroys and keeps, and that a rebuild brings nothing back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.referrals.domain.errors import Conflict, Erased, NotFound
from services.referrals.domain.records import PERSONAL_DATA_ERASED, PersonalKeyIssued, SigningSealed
from services.referrals.domain.sealing import MasterKey, Unreadable, open_sealed, seal
from services.referrals.domain.signing import CirSigningCreate
from services.referrals.service_layer.commands import (
    AmendProfile,
    ChangeStatus,
    CreateOpening,
    ErasePersonalData,
    ExportPersonalData,
    RecordSigning,
    SweepRetention,
)
from services.referrals.service_layer.erasure import add_months
from shared.contract.events import AuditRecord, ConsentChannel, ConsentRecorded
from shared.contract.topics import OPS_AUDIT, REFERRALS_CONSENT, REFERRALS_KEY, REFERRALS_SIGNING
from shared.contract.vocabulary import ReferralStatus
from tests.factories import epide_opening
from tests.fake_log import MemoryEventLog
from tests.unit.fakes.harness import NOW, RETENTION_MONTHS, ReferralsHarness
from tests.unit.test_referrals_use_cases import TODAY, proposal_for, record, referred, signing

SECRETS: dict[str, Any] = {
    "admin_token": "a" * 32, "session_secret": "s" * 32, "kafka_bootstrap_servers": "k:9092", "redis_url": "redis://r",
}  # fmt: skip
CONTACT = {"given_name": "Amina", "family_name": "Diallo", "email": "amina@example.org", "phone": "+33 6 12 34 56 78"}


def _values(h: ReferralsHarness, topic: str) -> list[bytes]:
    return [r.value for r in h.log.events(topic) if r.value is not None]


def _erase(beneficiary_id: str, by: str = "auditor:ana") -> ErasePersonalData:
    return ErasePersonalData(beneficiary_id, by, NOW, ConsentChannel.MAIL)


async def test_the_private_log_holds_no_name_contact_or_birth_date_in_clear() -> None:
    h = ReferralsHarness()
    s = signing(contact=CONTACT, birth_date="1994-03-17")
    await record(h, s)

    raw = b"".join(_values(h, REFERRALS_SIGNING.name) + _values(h, REFERRALS_KEY.name))
    assert raw and not any(value.encode() in raw for value in [*CONTACT.values(), "1994-03-17", "Amina"])
    [sealed] = h.events(REFERRALS_SIGNING.name, SigningSealed)
    assert sealed.beneficiary_id == s.beneficiary_id  # the pseudonym, and nothing else, in clear
    [opened] = await h.logged_signings()
    assert opened is not None and opened.signing == s


def test_a_sealed_value_opens_only_with_its_key_and_its_context() -> None:
    key, other = bytes(32), bytes(range(32))
    token = seal(key, "referrals.signing.v1:A1", b"Amina Diallo")

    assert open_sealed(key, "referrals.signing.v1:A1", token) == b"Amina Diallo"
    for wrong_key, context in ((other, "referrals.signing.v1:A1"), (key, "referrals.signing.v1:B2")):
        with pytest.raises(Unreadable):
            open_sealed(wrong_key, context, token)
    tampered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    with pytest.raises(Unreadable):
        open_sealed(key, "referrals.signing.v1:A1", tampered)


def test_a_master_key_wraps_for_one_person_and_a_malformed_one_is_refused() -> None:
    master = MasterKey.parse(MasterKey.generate("k1"))
    wrapped = master.wrap("A1", bytes(32))

    assert master.unwrap("A1", wrapped) == bytes(32)
    with pytest.raises(Unreadable):
        master.unwrap("B2", wrapped)  # a wrapped key moved under another person's id
    with pytest.raises(Unreadable):
        MasterKey.parse(MasterKey.generate("k2")).unwrap("A1", wrapped)
    for bad in ("", "no-colon", "k1:short", "k 1:" + "A" * 43):
        with pytest.raises(ValueError, match="MASTER_KEY"):
            MasterKey.parse(bad)


async def test_each_person_has_one_key_kept_across_signing_and_amendments() -> None:
    h = ReferralsHarness()
    a, b = signing(), signing()
    await record(h, a)
    await record(h, a)  # a repeat
    await record(h, b)

    keys = h.events(REFERRALS_KEY.name, PersonalKeyIssued)
    assert sorted(k.beneficiary_id for k in keys) == sorted([a.beneficiary_id, b.beneficiary_id])
    assert await h.keyring.current(a.beneficiary_id) != await h.keyring.current(b.beneficiary_id)


async def test_erasure_destroys_the_key_forgets_the_person_and_audits_it() -> None:
    h = ReferralsHarness()
    s = signing(contact=CONTACT, consent_to_share=True)
    await record(h, s)

    erasure = await h.bus.handle(_erase(s.beneficiary_id))

    assert (erasure.action, erasure.subject, erasure.actor) == (PERSONAL_DATA_ERASED, s.beneficiary_id, "auditor:ana")
    assert await h.logged_signings() == [None]  # the sealed record is still on the log, unreadable
    keys = h.log.events(REFERRALS_KEY.name)
    assert [r.value is None for r in keys] == [False, True]  # the key, then its tombstone
    assert h.log.events(REFERRALS_SIGNING.name)[-1].value is None
    [*_, withdrawn] = h.events(REFERRALS_CONSENT.name, ConsentRecorded)
    assert (withdrawn.candidate_pools, withdrawn.contact_with_accepting_partner) == (False, False)
    assert await h.records.get_signing(s.beneficiary_id) is None
    assert await h.records.consents(s.beneficiary_id) == [] and await h.records.history(s.beneficiary_id) == []
    assert await h.keys.all_of(s.beneficiary_id) == []
    [audited] = [a for a in h.events(OPS_AUDIT.name, AuditRecord) if a.action == PERSONAL_DATA_ERASED]
    assert audited == erasure


async def test_a_rebuild_after_an_erasure_brings_nothing_of_the_person_back() -> None:
    h = ReferralsHarness()
    kept, erased = signing(), signing(contact=CONTACT)
    await record(h, kept)
    await record(h, erased)
    await h.bus.handle(ExportPersonalData(erased.beneficiary_id, "auditor:ana", NOW))  # an audit record of them
    await h.bus.handle(_erase(erased.beneficiary_id))
    live = h.state()

    await h.rebuilt()  # a broker that has not compacted: the key's record is replayed, then its tombstone

    assert h.state() == live
    assert await h.records.get_signing(erased.beneficiary_id) is None
    assert await h.records.audit_of(erased.beneficiary_id) == []
    assert await h.records.get_signing(kept.beneficiary_id) == kept


async def test_once_the_key_topic_is_compacted_no_reader_can_open_the_signing() -> None:
    h = ReferralsHarness()
    s = signing(contact=CONTACT)
    await record(h, s)
    await h.bus.handle(_erase(s.beneficiary_id))
    compacted = MemoryEventLog()  # the key topic as the broker keeps it: the last record per key, no tombstone
    compacted.records_by_topic = dict(h.log.records_by_topic)  # the signing's sealed record left, as in a backup
    last = {r.key: r for r in h.log.events(REFERRALS_KEY.name)}  # keyed <beneficiary id>/<key id>
    compacted.records_by_topic[REFERRALS_KEY.name] = [r for r in last.values() if r.value is not None]
    assert compacted.records_by_topic[REFERRALS_KEY.name] == []

    reader = ReferralsHarness(compacted)
    await reader.rebuilt()

    [sealed] = reader.events(REFERRALS_SIGNING.name, SigningSealed)  # still there, sealed
    assert await reader.keyring.open_signing(sealed) is None
    assert await reader.records.get_signing(s.beneficiary_id) is None


async def test_erasure_is_refused_while_a_referral_is_open_and_changes_nothing() -> None:
    h = ReferralsHarness()
    s, _ = await referred(h)
    before = h.state()

    with pytest.raises(Conflict, match="orientation"):
        await h.bus.handle(_erase(s.beneficiary_id))

    assert h.state() == before


async def test_erasing_twice_answers_with_the_first_erasure_and_publishes_nothing_more() -> None:
    h = ReferralsHarness()
    s = signing()
    await record(h, s)
    first = await h.bus.handle(_erase(s.beneficiary_id))
    published = sum(len(records) for records in h.log.records_by_topic.values())

    again = await h.bus.handle(_erase(s.beneficiary_id, by="auditor:other"))

    assert again == first
    assert sum(len(records) for records in h.log.records_by_topic.values()) == published
    with pytest.raises(NotFound):
        await h.bus.handle(_erase("never-signed"))


async def test_after_erasure_the_export_says_so_and_the_same_id_cannot_sign_again() -> None:
    h = ReferralsHarness()
    s = signing()
    await record(h, s)
    await h.bus.handle(_erase(s.beneficiary_id))

    with pytest.raises(Erased, match="effacées"):
        await h.bus.handle(ExportPersonalData(s.beneficiary_id, "auditor:ana", NOW))
    with pytest.raises(Conflict, match="effacées"):
        await h.bus.handle(RecordSigning(s, "auditor:ana", NOW))


async def test_a_proposal_for_an_erased_person_makes_no_referral() -> None:
    h = ReferralsHarness()
    opening = epide_opening(starts_on=TODAY + timedelta(days=30))
    await h.bus.handle(CreateOpening(opening))
    s = signing()
    await record(h, s)
    await h.bus.handle(_erase(s.beneficiary_id))

    await h.consume(proposal_for(s, opening))

    assert await h.views.of_beneficiary(s.beneficiary_id) == []


def test_months_are_added_as_on_a_calendar() -> None:
    assert add_months(NOW.replace(year=2025, month=1, day=31), 1).date().isoformat() == "2025-02-28"
    assert add_months(NOW.replace(year=2023, month=8, day=31), 6).date().isoformat() == "2024-02-29"
    assert add_months(NOW.replace(year=2024, month=11, day=15), 24).date().isoformat() == "2026-11-15"


async def test_retention_erases_the_months_after_the_last_referral_closed_and_not_a_day_before() -> None:
    h = ReferralsHarness()
    s, referral_id = await referred(h)
    never_referred = signing()
    await record(h, never_referred)
    h.clock.at = NOW + timedelta(days=3)
    await h.bus.handle(ChangeStatus(referral_id, ReferralStatus.DECLINED, "partner:epide"))
    closed_at = h.clock.at
    due = add_months(closed_at, RETENTION_MONTHS)

    assert await h.bus.handle(SweepRetention(due - timedelta(minutes=1))) == [never_referred.beneficiary_id]
    assert await h.records.get_signing(s.beneficiary_id) == s

    assert await h.bus.handle(SweepRetention(due)) == [s.beneficiary_id]
    erasure = await h.records.erasure_of(s.beneficiary_id)
    assert erasure is not None and erasure.actor == "system:retention" and erasure.at == due
    assert await h.bus.handle(SweepRetention(due + timedelta(days=1))) == []


async def test_retention_keeps_whoever_still_has_an_open_referral() -> None:
    h = ReferralsHarness()
    s, _ = await referred(h)  # proposed, never answered

    assert await h.bus.handle(SweepRetention(NOW + timedelta(days=3650))) == []
    assert await h.records.get_signing(s.beneficiary_id) == s


def test_the_master_key_command_prints_a_key_the_setting_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    from passerelle.cli import main
    from services.referrals.config import ReferralsSettings

    assert main(["master-key", "--id", "prod-2026"]) == 0
    printed = capsys.readouterr().out.strip()
    master = ReferralsSettings(master_key=printed, environment="production", **SECRETS).master()
    assert master.key_id == "prod-2026" and master.unwrap("A1", master.wrap("A1", bytes(32))) == bytes(32)
    assert main(["master-key", "--id", "no spaces"]) == 2
    assert "--id" in capsys.readouterr().err


def test_production_refuses_the_development_master_key_and_a_malformed_one() -> None:
    from pydantic import ValidationError

    from services.referrals.config import DEVELOPMENT_MASTER_KEY, ReferralsSettings

    with pytest.raises(ValidationError, match="MASTER_KEY : à fournir en production / must be set in production"):
        ReferralsSettings(environment="production", **SECRETS)
    with pytest.raises(ValidationError, match="MASTER_KEY : valeur de développement refusée"):
        ReferralsSettings(environment="production", master_key=DEVELOPMENT_MASTER_KEY, **SECRETS)
    with pytest.raises(ValidationError, match="MASTER_KEY must read"):
        ReferralsSettings(master_key="k1:tooshort", **SECRETS)


async def test_a_second_key_drawn_while_redis_was_lost_leaves_every_record_readable_and_both_are_erased() -> None:
    h = ReferralsHarness()
    s = signing(contact=CONTACT)
    await record(h, s)
    await h.keys.forget(s.beneficiary_id)  # Redis lost the key while a signing was in flight
    amended = CirSigningCreate.model_validate(s.model_dump() | {"french_level": "B1"})
    await h.bus.handle(AmendProfile(amended, "auditor:ana", NOW))

    assert len(h.events(REFERRALS_KEY.name, PersonalKeyIssued)) == 2
    await h.rebuilt()
    assert [r is not None for r in await h.logged_signings()] == [True, True]  # each opens with its own key
    assert (await h.records.get_signing(s.beneficiary_id)).french_level == "B1"  # type: ignore[union-attr]

    await h.bus.handle(_erase(s.beneficiary_id))

    assert await h.logged_signings() == [None, None]
    assert [r.value is None for r in h.log.events(REFERRALS_KEY.name)] == [False, False, True, True]
    await h.rebuilt()
    assert await h.records.get_signing(s.beneficiary_id) is None


async def test_an_accepting_partner_learns_who_the_person_is_from_the_consent_of_the_moment() -> None:
    from services.referrals.domain.referral_view import for_partner
    from services.referrals.service_layer.commands import ChangeConsent
    from services.referrals.service_layer.disclosure import shares_contact

    h = ReferralsHarness()
    s, referral_id = await referred(h)  # signed with consent_to_share: True
    accepted = await h.bus.handle(ChangeStatus(referral_id, ReferralStatus.ACCEPTED, "partner:epide"))
    assert for_partner(accepted, await shares_contact(h.records, s.beneficiary_id)).beneficiary_id == s.beneficiary_id

    await h.bus.handle(
        ChangeConsent(s.beneficiary_id, False, False, None, ConsentChannel.PHONE, "auditor:ana", NOW, "a appelé")
    )

    assert accepted.candidate.consented  # the referral's own record of the pool answer, frozen when it was made
    assert for_partner(accepted, await shares_contact(h.records, s.beneficiary_id)).beneficiary_id is None
    [*_, withdrawn] = h.events(REFERRALS_CONSENT.name, ConsentRecorded)
    assert withdrawn.sealed_note is not None and "a appelé" not in withdrawn.sealed_note
    [*_, readable] = await readable_consent(h)
    assert readable.note == "a appelé"


async def readable_consent(h: ReferralsHarness) -> list[Any]:
    from services.referrals.service_layer.consent import readable

    [person] = list(h.records.consent_records)
    return await readable(await h.records.consents(person), h.keyring)
