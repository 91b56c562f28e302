"""Property-based checks of the rule boundaries: departments, missing facts, near-eligibility."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.matching.domain.eligibility import Outcome, decide
from shared.contract.events import Eligibility
from tests.factories import epide_opening, profile

DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]


@given(st.sampled_from(DEPARTMENTS), st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=8, unique=True))
def test_department_rule_passes_exactly_for_listed_departments(home: str, served: list[str]) -> None:
    decision = decide(profile(department=home), epide_opening(eligibility=Eligibility(departments=served)))
    assert decision.eligible == (home in served)


@given(
    st.sampled_from(["french_level", "diploma_level", "protection_status", "rsa_applicant", "mobility"]),
)
def test_a_missing_fact_gives_unknown_not_fail(missing: str) -> None:
    rules = Eligibility(
        min_french="A2",
        max_diploma_level=0,
        protection_statuses=["subsidiary"],
        rsa_applicant_required=True,
        mobility_required="region",
    )
    person = profile(**{"rsa_applicant": True, missing: None})

    decision = decide(person, epide_opening(eligibility=rules))

    outcomes = {r.rule: r.outcome for r in decision.results}
    assert list(outcomes.values()).count(Outcome.UNKNOWN) == 1
    assert Outcome.FAIL not in outcomes.values()
    assert not decision.eligible
    assert decision.near_eligible


def test_only_french_missing_makes_a_newcomer_near_eligible_with_the_remedy() -> None:
    decision = decide(profile(birth_date=date(2006, 1, 1), french_level="A1"), epide_opening())

    assert decision.near_eligible
    assert decision.remedies == ["éligible dès que le niveau A2 est certifié"]


def test_a_refusal_without_remedy_is_not_near_eligibility() -> None:
    decision = decide(profile(birth_date=date(1990, 1, 1), french_level="A1"), epide_opening())

    assert not decision.near_eligible
    assert "37 ans au démarrage (4 janvier 2027) : Epide s'adresse aux 25 ans au plus" in decision.failures


def test_area_admits_residents_and_national_movers_only() -> None:
    opening = epide_opening(programme="HOPE", eligibility=Eligibility(area=["22", "35"]))

    assert decide(profile(department="22", mobility="none"), opening).eligible
    assert decide(profile(department="67", mobility="national"), opening).eligible
    refused = decide(profile(department="67", mobility="region"), opening)
    assert not refused.eligible and "hors de la zone de HOPE (22, 35)" in refused.failures[0]


def test_every_decision_records_the_rule_set_version() -> None:
    assert decide(profile(), epide_opening()).ruleset_version.startswith("eligibility-")


@given(
    st.dates(min_value=date(1995, 1, 1), max_value=date(2010, 12, 31)).filter(lambda d: (d.month, d.day) != (2, 29)),
    st.integers(min_value=17, max_value=30),
)
def test_max_age_flips_exactly_on_the_birthday_after_the_maximum(birth: date, max_age: int) -> None:
    birthday_over = birth.replace(year=birth.year + max_age + 1)
    opening_on = lambda day: epide_opening(starts_on=day, eligibility=Eligibility(max_age=max_age))  # noqa: E731

    day_before = decide(profile(birth_date=birth), opening_on(birthday_over - timedelta(days=1)))
    on_the_day = decide(profile(birth_date=birth), opening_on(birthday_over))

    assert day_before.eligible
    assert not on_the_day.eligible
    assert f"{max_age + 1} ans au démarrage" in on_the_day.failures[0]


@given(
    st.dates(min_value=date(1995, 1, 1), max_value=date(2012, 12, 31)).filter(lambda d: (d.month, d.day) != (2, 29)),
    st.integers(min_value=16, max_value=30),
)
def test_min_age_is_met_on_the_birthday_not_the_day_before(birth: date, min_age: int) -> None:
    birthday = birth.replace(year=birth.year + min_age)
    opening_on = lambda day: epide_opening(starts_on=day, eligibility=Eligibility(min_age=min_age))  # noqa: E731

    assert not decide(profile(birth_date=birth), opening_on(birthday - timedelta(days=1))).eligible
    assert decide(profile(birth_date=birth), opening_on(birthday)).eligible
