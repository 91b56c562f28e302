"""The engine: vectorised rules agree with the explained ones; batches respect seats, rules and vetoes;
protected characteristics are never features."""

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from passerelle.synthetic import make_openings, make_population
from services.matching.domain.eligibility import decide
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.features import FEATURES
from services.matching.domain.geography import reachable
from services.matching.domain.tables import OpeningTable, ProfileTable, eligible_pairs
from shared.contract.events import BeneficiaryProfile, Eligibility, Preferences
from tests.factories import epide_opening, profile

FORBIDDEN = ("nationality", "religion", "ethnicity", "ethnic", "gender", "sex", "country", "origin")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_eligibility_agrees_with_the_explained_rules(seed: int) -> None:
    rng = np.random.default_rng(seed)
    openings = make_openings(30, rng)
    people = make_population(20, rng).profiles
    vectorised = eligible_pairs(ProfileTable.build(people), np.arange(20), OpeningTable.build(openings), np.arange(30))
    explained = np.array([[decide(p, o).eligible for o in openings] for p in people])
    assert (vectorised == explained).all()


def test_catalogue_rules_agree_too() -> None:
    from passerelle.catalogue import load_catalogue

    openings = load_catalogue()
    people = make_population(200, np.random.default_rng(3)).profiles
    vectorised = eligible_pairs(
        ProfileTable.build(people), np.arange(200), OpeningTable.build(openings), np.arange(len(openings))
    )
    assert (vectorised == np.array([[decide(p, o).eligible for o in openings] for p in people])).all()


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_batch_never_breaks_seats_rules_or_mobility(seed: int) -> None:
    rng = np.random.default_rng(seed)
    openings = make_openings(40, rng, seat_scale=0.2)
    people = make_population(300, rng).profiles

    result = MatchingEngine(openings).assign_batch(people, explain=False)

    taken: dict[str, int] = {}
    for person, opening in zip(people, result.opening_of, strict=True):
        if opening is None:
            continue
        taken[opening.opening_id] = taken.get(opening.opening_id, 0) + 1
        assert decide(person, opening).eligible
        assert reachable(person.department, person.mobility, opening.department)
    assert all(taken[o.opening_id] <= o.seats for o in openings if o.opening_id in taken)


def test_a_vetoed_programme_is_never_proposed_and_a_preferred_one_wins_a_tie() -> None:
    first = epide_opening(programme="Epide")
    second = epide_opening(programme="SPIE")
    person = profile(birth_date=date(2005, 1, 1))
    engine = MatchingEngine([first, second])
    assert {c.opening.programme for c in engine.candidates(person)} == {"Epide", "SPIE"}

    vetoed = person.model_copy(update={"preferences": Preferences(vetoes=["Epide"])})
    preferred = person.model_copy(update={"preferences": Preferences(programmes=["SPIE"])})

    assert [c.opening.programme for c in engine.candidates(vetoed)] == ["SPIE"]
    assert engine.candidates(preferred)[0].opening.programme == "SPIE"
    batch = engine.assign_batch([vetoed], explain=False)
    assert batch.opening_of[0] is not None and batch.opening_of[0].programme == "SPIE"


def test_a_seat_priced_above_what_the_newcomer_gains_is_not_taken() -> None:
    opening = epide_opening()
    engine = MatchingEngine([opening])
    person = profile(birth_date=date(2005, 1, 1))

    engine.set_prices({opening.opening_id: 0.99})
    [candidate] = engine.candidates(person)

    assert candidate.price == pytest.approx(0.99)
    assert not candidate.worth_a_seat
    engine.set_prices({})
    assert engine.candidates(person)[0].worth_a_seat


def test_no_feature_names_a_protected_characteristic() -> None:
    assert not [name for name in FEATURES for word in FORBIDDEN if word in name]


@pytest.mark.parametrize("field", ["nationality", "religion", "ethnicity", "gender"])
def test_a_profile_cannot_even_carry_a_protected_characteristic(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        BeneficiaryProfile.model_validate(profile().model_dump() | {field: "x"})


def test_age_and_protection_status_decide_eligibility_but_not_the_score() -> None:
    opening = epide_opening(eligibility=epide_opening().eligibility.model_copy(update={"max_age": None}))
    engine = MatchingEngine([opening])
    young = profile(birth_date=date(2005, 1, 1), protection_status="refugee")
    older = profile(birth_date=date(1980, 1, 1), protection_status="subsidiary")

    [a], [b] = engine.candidates(young), engine.candidates(older)

    assert a.probability == pytest.approx(b.probability)


def test_every_proposal_carries_its_top_reasons_in_words() -> None:
    opening = epide_opening(target_occupations=["G1602"], eligibility=epide_opening().eligibility)
    engine = MatchingEngine([opening])
    person = profile(birth_date=date(2005, 1, 1), occupations=["G1602"])

    reasons = engine.reasons(person, engine.candidates(person)[0])

    assert reasons[0].startswith("réussite estimée")
    assert "métier exercé (G1602) parmi ceux que prépare Epide" in reasons


def test_an_engine_without_openings_proposes_nothing_rather_than_failing() -> None:
    engine = MatchingEngine([])

    assert engine.candidates(profile()) == []
    assert engine.assign_batch([profile()], explain=False).opening_of == [None]


def test_why_not_explains_a_programme_on_the_opening_a_remedy_would_open() -> None:
    from services.matching.service_layer.propose import why_not

    person = profile(department="14", french_level="A1")
    elsewhere = epide_opening(department="2B", eligibility=Eligibility(departments=["2B"]))
    here = epide_opening(department="14", eligibility=Eligibility(min_french="A2", departments=["14"]))
    [explained] = why_not(person, [elsewhere, here])
    assert explained.opening_id == here.opening_id
    assert explained.remedies == ["éligible dès que le niveau A2 est certifié"]
