import pytest

from shared.contract.topics import FIXED_TOPICS, InvalidPartnerId, partner_candidates_topic


def test_every_contract_topic_is_versioned_and_unique() -> None:
    names = [t.name for t in FIXED_TOPICS]
    assert len(names) == len(set(names)) == 15
    assert all(name.endswith(".v1") for name in names)


def test_topics_that_hold_current_records_are_compacted() -> None:
    compacted = {t.name for t in FIXED_TOPICS if t.compacted}
    assert compacted == {
        "beneficiary.profile.v1",
        "programme.opening.v1",
        "partner.subscription.v1",
        "referrals.signing.v1",
        "referrals.credential.v1",
        "referrals.key.v1",
        "matching.model.v1",
    }
    assert all(t.config()["cleanup.policy"] == "compact" for t in FIXED_TOPICS if t.compacted)


def test_an_erased_key_leaves_the_disks_within_a_day() -> None:
    from shared.contract.topics import DAY_MS, REFERRALS_KEY

    config = REFERRALS_KEY.config()
    assert int(config["max.compaction.lag.ms"]) <= DAY_MS  # compaction is forced within that time
    assert int(config["segment.ms"]) <= DAY_MS  # the open segment, never compacted, rolls as often
    assert int(config["delete.retention.ms"]) <= DAY_MS  # and the tombstone itself goes


def test_partner_topic_name_follows_the_contract() -> None:
    assert partner_candidates_topic("france-travail-67").name == "partner.france-travail-67.candidates.v1"


@pytest.mark.parametrize("bad", ["", "A", "Epide", "epide.admin", "../x", "a" * 64])
def test_a_partner_id_that_cannot_name_a_topic_is_refused(bad: str) -> None:
    with pytest.raises(InvalidPartnerId):
        partner_candidates_topic(bad)


def test_every_valid_department_code_is_in_the_geography_table() -> None:
    import re

    from services.matching.domain.geography import DEPARTMENTS
    from shared.contract.events.profile import Department

    field = Department.__metadata__[0]  # type: ignore[attr-defined]
    pattern = re.compile(next(m.pattern for m in field.metadata if hasattr(m, "pattern")))
    candidates = [f"{n:02d}" for n in range(100)] + ["2A", "2B"] + [str(n) for n in range(970, 980)]
    assert {c for c in candidates if pattern.match(c)} == set(DEPARTMENTS)
