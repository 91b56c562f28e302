from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.matching.domain.eligibility import Outcome, decide
from shared.contract.age import age_on
from shared.contract.events import Eligibility
from shared.contract.vocabulary import FrenchLevel
from tests.factories import epide_opening, profile

START = date(2027, 1, 4)


def test_epide_refuses_a_26_year_old_and_says_why() -> None:
    decision = decide(profile(birth_date=date(2000, 6, 1)), epide_opening(starts_on=START))

    assert not decision.eligible
    assert "26 ans au démarrage (4 janvier 2027) : Epide s'adresse aux 25 ans au plus" in decision.failures


def test_epide_admits_a_19_year_old_without_diploma_with_french_a2() -> None:
    decision = decide(profile(birth_date=date(2007, 6, 1)), epide_opening(starts_on=START))

    assert decision.eligible, decision.failures
    assert all(r.outcome is Outcome.PASS for r in decision.results)
    assert decision.ruleset_version


def test_age_turns_on_the_birthday_not_the_day_before() -> None:
    birth = date(2001, 1, 5)
    assert age_on(birth, date(2026, 1, 4)) == 24
    assert age_on(birth, date(2026, 1, 5)) == 25


def test_the_day_before_the_26th_birthday_is_still_eligible_for_epide() -> None:
    start = date(2027, 1, 4)
    still_25 = profile(birth_date=date(2001, 1, 5))
    turns_26 = profile(birth_date=date(2001, 1, 4))

    assert decide(still_25, epide_opening(starts_on=start)).eligible
    assert not decide(turns_26, epide_opening(starts_on=start)).eligible


def test_french_below_the_minimum_says_what_is_missing() -> None:
    decision = decide(profile(birth_date=date(2006, 1, 1), french_level="A1"), epide_opening())

    assert not decision.eligible
    assert any("éligible dès que le niveau A2 est certifié" in reason for reason in decision.failures)


def test_department_list_refuses_a_newcomer_living_elsewhere() -> None:
    opening = epide_opening(eligibility=Eligibility(departments=["67", "68"]))

    assert decide(profile(department="68"), opening).eligible
    refused = decide(profile(department="75"), opening)
    # (moving within the region only, from Île-de-France: Alsace is not a move they said they would make)
    assert refused.failures == ["habite le département 75 ; Epide ne dessert que les départements 67, 68"]


def test_rsa_rule_admits_only_rsa_applicants() -> None:
    opening = epide_opening(programme="SPIE", eligibility=Eligibility(rsa_applicant_required=True))

    assert decide(profile(rsa_applicant=True), opening).eligible
    refused = decide(profile(rsa_applicant=False), opening)
    assert refused.failures == [
        "SPIE s'adresse aux seuls nouveaux demandeurs du RSA; "
        "éligible une fois une demande de RSA déposée, si la personne y a droit"
    ]


def test_an_opening_without_rules_admits_everyone() -> None:
    decision = decide(profile(), epide_opening(eligibility=Eligibility()))
    assert decision.eligible
    assert decision.results == ()


@given(st.sampled_from(list(FrenchLevel)), st.sampled_from(list(FrenchLevel)))
def test_french_rule_follows_the_cefr_order(level: FrenchLevel, minimum: FrenchLevel) -> None:
    order = ["none", "A1", "A2", "B1", "B2", "C1", "C2"]
    opening = epide_opening(eligibility=Eligibility(min_french=minimum))

    decision = decide(profile(french_level=level), opening)

    assert decision.eligible == (order.index(level.value) >= order.index(minimum.value))


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2010, 12, 31)), st.integers(0, 365 * 3))
def test_age_grows_by_exactly_one_on_each_birthday(birth: date, days: int) -> None:
    day = date(2027, 1, 4) + timedelta(days=days)
    age = age_on(birth, day)
    try:
        birthday = birth.replace(year=birth.year + age)
    except ValueError:  # 29 February in a common year: the birthday is taken on 1 March
        birthday = date(birth.year + age, 3, 1)
    assert birthday <= day
    assert age_on(birth, day - timedelta(days=1)) in (age, age - 1)
