"""The shipped catalogue holds the programmes and figures of the seeds."""

from passerelle.catalogue import load_catalogue, rome_labels
from shared.contract.vocabulary import FrenchLevel, ProtectionStatus

PROGRAMMES_OF_DESIGN = {
    "Esperanto",
    "Welcome Emploi",
    "Formation ferrailleur",
    "HOPE",
    "Epide",
    "SPIE",
    "FLE à visée professionnelle",
    "Vivier France Travail",
    "Aide au retour ERRIN",
}


def _by_programme(name: str) -> list:  # type: ignore[type-arg]
    return [o for o in load_catalogue() if o.programme == name]


def test_every_programme_of_the_design_has_an_opening() -> None:
    assert {o.programme for o in load_catalogue()} == PROGRAMMES_OF_DESIGN


def test_opening_ids_are_unique() -> None:
    ids = [o.opening_id for o in load_catalogue()]
    assert len(ids) == len(set(ids))


def test_epide_strasbourg_has_the_seed_rules_and_120_places() -> None:
    [epide] = _by_programme("Epide")
    rules = epide.eligibility
    assert (epide.department, epide.seats) == ("67", 120)
    assert (rules.min_age, rules.max_age, rules.min_french, rules.max_diploma_level) == (17, 25, FrenchLevel.A2, 0)


def test_scrap_metal_training_selects_12_in_ile_de_france_for_protected_people() -> None:
    [scrap] = _by_programme("Formation ferrailleur")
    assert scrap.seats == 12
    assert scrap.department == "75" and "93" in (scrap.eligibility.departments or [])
    assert set(scrap.eligibility.protection_statuses or []) == {ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY}
    assert scrap.offers_housing  # housed by Adoma


def test_spie_is_for_new_rsa_applicants_in_67_and_68() -> None:
    [spie] = _by_programme("SPIE")
    assert spie.eligibility.rsa_applicant_required
    assert spie.eligibility.departments == ["67", "68"]
    assert spie.response_days == 30  # first appointment within 30 days at most


def test_errin_serves_four_countries_for_up_to_100_returnees() -> None:
    errin = _by_programme("Aide au retour ERRIN")
    assert sum(o.seats for o in errin) == 100
    assert {c for o in errin for c in o.eligibility.return_countries or []} == {"CM", "ML", "MA", "SN"}


def test_hope_trains_for_masonry_in_brittany_with_accommodation() -> None:
    hope = _by_programme("HOPE")
    assert any("F1703" in o.target_occupations for o in hope)
    assert all(o.offers_housing and o.department in {"22", "29", "35", "56"} for o in hope)


def test_every_occupation_in_the_catalogue_has_a_rome_label() -> None:
    labels = rome_labels()
    used = {code for o in load_catalogue() for code in o.target_occupations}
    assert used <= set(labels), used - set(labels)
    assert labels["F1703"] == "Maçonnerie"
