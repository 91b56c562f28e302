"""The data·inclusion export is what the schema's owners accept: every structure and service of the shipped
catalogue goes through the official models (PyPI data-inclusion-schema, v1), read from JSON in strict mode,
with the schema's warnings (`avertissement`) counted as errors. Those models ignore unknown fields, so a
field they do not define, or one they would drop, fails here too."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from data_inclusion.schema.v1 import Public, Service, Structure, Thematique
from pydantic import BaseModel, ValidationError

from passerelle.catalogue import load_catalogue
from services.referrals.exports.data_inclusion import di_page, di_service, di_structures
from services.referrals.wording.french import DEPARTMENTS
from shared.contract.events import Eligibility
from shared.contract.events.opening import SiteAddress
from tests.factories import epide_opening

UPDATED = date(2026, 11, 23)


def _problems(model: type[BaseModel], item: dict[str, Any]) -> list[str]:
    unknown = sorted(set(item) - set(model.model_fields))
    try:
        validated = model.model_validate_json(json.dumps(item), strict=True, context={"ignore_warnings": False})
    except ValidationError as error:
        return [f"unknown fields {unknown}"] * bool(unknown) + [
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
        ]
    dropped = sorted(set(item) - validated.model_fields_set)
    return [f"unknown fields {unknown}"] * bool(unknown) + [f"dropped {dropped}"] * bool(dropped)


def _services() -> list[dict[str, Any]]:
    return [di_service(opening, opening.seats, UPDATED) for opening in load_catalogue()]


def test_every_structure_of_the_catalogue_is_a_valid_data_inclusion_structure() -> None:
    structures = di_structures(load_catalogue(), UPDATED)

    assert len(structures) == len({o.partner_id for o in load_catalogue()}) == 8
    assert {s["id"]: _problems(Structure, s) for s in structures} == {s["id"]: [] for s in structures}
    assert len({s["id"] for s in structures}) == len(structures)


def test_every_service_of_the_catalogue_is_a_valid_data_inclusion_service() -> None:
    services = _services()
    structure_ids = {s["id"] for s in di_structures(load_catalogue(), UPDATED)}

    assert len(services) == 16
    assert {s["id"]: _problems(Service, s) for s in services} == {s["id"]: [] for s in services}
    assert {s["structure_id"] for s in services} <= structure_ids
    assert all(Public.PERSONNES_EXILEES in s["publics"] for s in services)
    assert all(len(s["description"]) >= 200 for s in services)  # the schema's advice: 200 to 2000 characters
    zones = {code for s in services for code in s["zone_eligibilite"]}
    assert zones <= {*DEPARTMENTS, "france"}  # codes data·inclusion keeps (it drops unknown ones silently)


def test_epide_is_for_young_people_and_offers_housing() -> None:
    [epide] = [s for s in _services() if s["id"] == "passerelle--epide-strasbourg-2027-01"]

    assert epide["publics"] == ["jeunes", "personnes-exilees"]
    assert Thematique.LOGEMENT_HEBERGEMENT__RECHERCHER_UNE_SOLUTION_DHEBERGEMENT_TEMPORAIRE in epide["thematiques"]
    assert epide["conditions_acces"].startswith("Avoir entre 17 et 25 ans à la date d'entrée ; ")
    assert epide["zone_eligibilite"] == ["france"]
    assert epide["mobilisable_par"] == ["professionnels"]
    assert "adresse" not in epide  # no public source gave its street address


def test_themes_zones_and_addresses_follow_the_rules_and_the_catalogue() -> None:
    by_id = {s["id"].removeprefix("passerelle--"): s for s in _services()}

    assert by_id["fle-pro-strasbourg-2027-01"]["thematiques"] == ["lecture-ecriture-calcul--maitriser-le-francais"]
    assert by_id["fle-pro-strasbourg-2027-01"]["zone_eligibilite"] == ["67", "68"]
    assert (by_id["fle-pro-strasbourg-2027-01"]["code_insee"], by_id["fle-pro-strasbourg-2027-01"]["code_postal"]) == (
        "67482", "67000",
    )  # fmt: skip
    assert by_id["spie-alsace-2027-01"]["publics"] == ["beneficiaires-des-minimas-sociaux", "personnes-exilees"]
    assert by_id["errin-mali-2027"]["type"] == "aide-financiere"
    assert by_id["hope-langueux-2027-02"]["zone_eligibilite"] == ["france"]  # its area admits those who move
    assert "Bretagne" not in by_id["hope-langueux-2027-02"]["conditions_acces"]
    assert "Côtes-d'Armor (22)" in by_id["hope-langueux-2027-02"]["conditions_acces"]


def test_a_structure_has_an_address_only_when_all_its_openings_share_it() -> None:
    site = SiteAddress(street="44 rue Bargue", postal_code="75015", city="Paris", insee_code="75115")
    same = [epide_opening(partner_id="p-one", address=site), epide_opening(partner_id="p-one", address=site)]
    mixed = [epide_opening(partner_id="p-two", address=site), epide_opening(partner_id="p-two")]

    one, two = di_structures([*same, *mixed], UPDATED)

    assert (one["adresse"], one["code_insee"], one["commune"]) == ("44 rue Bargue", "75115", "Paris")
    assert "adresse" not in two and "code_postal" not in two
    assert _problems(Structure, one) == [] and _problems(Structure, two) == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("thematiques", ["apprendre-francais--accompagnement-linguistique"], "thematiques.0: Input should be"),
        ("zone_eligibilite", ["France"], "zone_eligibilite.0"),  # "FR" passes the model, then COG checks drop it
        ("nom", "Français langue étrangère.", "ne doit pas se terminer par un point"),
        ("date_maj", "2999-01-01", "ne peut pas être dans le futur"),
        ("publics", ["tous-publics", "jeunes"], "`tous-publics` ne peut pas être utilisé"),
        ("code_insee", "Strasbourg", "code_insee"),
        ("horaires", "Mo-Fr 09:00-17:00", "unknown fields ['horaires']"),
    ],
)
def test_the_official_models_catch_a_broken_export(field: str, value: Any, expected: str) -> None:
    service = di_service(epide_opening(eligibility=Eligibility(min_age=18)), 3, UPDATED) | {field: value}

    assert expected in " | ".join(_problems(Service, service))


def test_pages_follow_the_data_inclusion_api_shape() -> None:
    services = _services()

    page = di_page(services, page=2, size=5)

    assert (page["total"], page["page"], page["size"], page["pages"]) == (16, 2, 5, 4)
    assert [s["id"] for s in page["items"]] == [s["id"] for s in services[5:10]]
    assert di_page(services, page=9, size=5)["items"] == []


@pytest.mark.parametrize("title", ["", "x", "ab", " . ", "\U0010bb56o", "é" * 200, "Atelier."])
@pytest.mark.parametrize("partner_name", ["", "A", "  ", "Ép"])
def test_an_opening_with_a_short_or_odd_title_still_makes_valid_objects(title: str, partner_name: str) -> None:
    opening = epide_opening(title=title, partner_name=partner_name, partner_id="ep")

    service, [structure] = di_service(opening, 3, UPDATED), di_structures([opening], UPDATED)

    assert (_problems(Service, service), _problems(Structure, structure)) == ([], [])
