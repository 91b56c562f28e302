"""What an auditor reads under « Pour y accéder » must be true: over the catalogue's own openings, a
programme gets a remedy only when every rule it fails can be lifted (a course and a certification, a move
the person would make, an RSA application, a fact to record), and the remedy names each of them. An age, a
protection status and a diploma or French ceiling are reasons, never remedies; return programmes are shown
only to people who asked for a return."""

from __future__ import annotations

from datetime import date

import pytest

from passerelle.catalogue import load_catalogue
from services.matching.domain.eligibility import decide
from services.matching.service_layer.propose import why_not
from shared.contract.events import Eligibility, NotEligible
from tests.factories import epide_opening, profile

pytestmark = pytest.mark.unit
CATALOGUE = load_catalogue()
A2_CERTIFIED = "éligible dès que le niveau A2 est certifié"
MOVE_ANYWHERE = "éligible si la personne accepte de déménager partout en France"
RSA = "éligible une fois une demande de RSA déposée, si la personne y a droit"


def explained(**facts: object) -> dict[str, NotEligible]:
    return {entry.programme: entry for entry in why_not(profile(**facts), CATALOGUE)}


def test_a_45_year_old_in_paris_is_promised_nothing_an_age_or_a_territory_forbids() -> None:
    shown = explained(birth_date=date(1981, 5, 2), department="75", french_level="A1", mobility="none",
                      protection_status="refugee", diploma_level=3)  # fmt: skip
    assert shown["Epide"].remedies == []  # 17 to 25: no French course makes him younger
    assert any("25 ans au plus" in f for f in shown["Epide"].failures)
    # In Alsace only, and he will not move: French or RSA would not open them.
    for programme in ("SPIE", "Vivier France Travail", "FLE à visée professionnelle"):
        assert shown[programme].remedies == [], programme
    assert "Aide au retour ERRIN" not in shown  # he asked for no return
    assert all(entry.remedies == [] or "25 ans" not in " ".join(entry.failures) for entry in shown.values())


def test_a_subsidiary_protection_beneficiary_is_not_told_that_french_opens_esperanto() -> None:
    shown = explained(birth_date=date(1993, 2, 1), department="75", french_level="none", mobility="none",
                      protection_status="subsidiary")  # fmt: skip
    assert shown["Esperanto"].remedies == []
    assert any("réfugié" in f for f in shown["Esperanto"].failures)


def test_the_22_year_old_at_a1_in_strasbourg_is_told_the_certification_opens_epide() -> None:
    person = {"birth_date": date(2004, 3, 1), "department": "67", "french_level": "A1", "diploma_level": 0,
              "mobility": "none", "protection_status": "refugee"}  # fmt: skip
    shown = explained(**person)
    assert shown["Epide"].remedies == [A2_CERTIFIED]
    fle = next(o for o in CATALOGUE if o.opening_id == "fle-pro-strasbourg-2027-01")
    assert decide(profile(**person), fle).eligible  # the course that leads there is open to him now


@pytest.mark.parametrize(
    ("facts", "programme", "remedies"),
    [
        # Several blockers, all liftable: each is named.
        ({"department": "75", "mobility": None, "french_level": "A1", "protection_status": "refugee"},
         "Vivier France Travail",
         ["éligible dès que le niveau A2 est certifié",
          "éligible si la personne accepte de s'installer dans le département 67"]),
        # The same, but the person said they would not move: the French course alone would not open it.
        ({"department": "75", "mobility": "none", "french_level": "A1", "protection_status": "refugee"},
         "Vivier France Travail", []),
        # Within the region, moving is what they said they would do.
        ({"department": "67", "mobility": "region", "rsa_applicant": False, "protection_status": "refugee"},
         "SPIE", [RSA]),
        ({"department": "75", "mobility": "region", "protection_status": "refugee", "french_level": "A2"},
         "HOPE", [MOVE_ANYWHERE]),
        # Status is never a remedy, even beside a liftable rule.
        ({"department": "75", "mobility": "region", "protection_status": "other", "french_level": "A2"},
         "HOPE", []),
        # A fact not recorded yet is a remedy: record it.
        ({"department": "67", "mobility": "none", "protection_status": None, "french_level": "A2",
          "birth_date": date(1990, 1, 1)}, "Esperanto", ["à décider une fois le statut de protection enregistré"]),
    ],
)  # fmt: skip
def test_remedies_over_the_catalogues_rules(facts: dict[str, object], programme: str, remedies: list[str]) -> None:
    assert explained(**facts)[programme].remedies == remedies


def test_return_programmes_are_for_those_who_asked_for_a_return() -> None:
    assert "Aide au retour ERRIN" not in explained(return_country=None)
    # Asked for Mali: the Mali opening fits, so the programme is among the eligible, not explained away.
    assert "Aide au retour ERRIN" not in explained(return_country="ML", birth_date=date(1990, 1, 1))
    refused = explained(return_country="TN", birth_date=date(1990, 1, 1))["Aide au retour ERRIN"]
    assert refused.remedies == [] and "non accompagné" in refused.failures[0]


def test_a_programme_is_explained_on_an_opening_the_person_can_reach() -> None:
    """Both openings fail one liftable rule; the one in Corsica would need a move, the one in Caen a
    certification: the auditor in Caen is told about Caen."""
    rules = {"min_age": 17, "max_age": 25, "min_french": "A2"}
    caen = epide_opening(department="14", eligibility=Eligibility(**rules, departments=["14"]))
    corsica = epide_opening(department="2B", eligibility=Eligibility(min_age=17, max_age=25, departments=["2B"]))
    person = profile(department="14", mobility=None, french_level="A1", birth_date=date(2006, 3, 1))
    for openings in ([corsica, caen], [caen, corsica]):
        [entry] = why_not(person, openings)
        assert entry.opening_id == caen.opening_id and entry.remedies == [A2_CERTIFIED]
