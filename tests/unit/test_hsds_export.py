import uuid
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator

from passerelle.catalogue import load_catalogue
from services.referrals.exports.hsds import hsds_page, hsds_service
from shared.contract.events.opening import SiteAddress
from tests.factories import epide_opening

UPDATED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_an_opening_becomes_an_hsds_service_with_its_seat_capacity() -> None:
    opening = epide_opening(partner_name="Epide", title="Epide Strasbourg")

    service = hsds_service(opening, available=117, updated=UPDATED)

    assert {"id", "name", "status"} <= set(service)
    assert service["status"] == "active"
    assert (service["minimum_age"], service["maximum_age"]) == (17, 25)
    assert "aged 17 to 25" in service["eligibility_description"]
    assert service["organization"]["name"] == "Epide"
    [capacity] = service["capacities"]
    assert {"id", "unit", "available", "updated"} <= set(capacity)
    assert (capacity["available"], capacity["maximum"]) == (117, 120)
    assert capacity["updated"] == "2026-11-23T10:00:00.000+00:00"
    [at_location] = service["service_at_locations"]
    assert at_location["location"]["location_type"] == "physical"


def test_ids_are_stable_across_exports() -> None:
    opening = epide_opening()
    assert hsds_service(opening, 1, UPDATED)["id"] == hsds_service(opening, 5, UPDATED)["id"]


def test_pages_follow_the_hsds_list_shape() -> None:
    services = [hsds_service(epide_opening(), 1, UPDATED) for _ in range(5)]

    page = hsds_page(services, page=2, per_page=2)

    assert (page["total_items"], page["total_pages"], page["page_number"], page["size"]) == (5, 3, 2, 2)
    assert not page["first_page"] and not page["last_page"] and not page["empty"]


# HSDS 3.1 (openreferral/specification, branch 3.1-dev, schema/*.json), as this export uses it: for each
# object, its required fields, and the type, enum or format of each field it may carry. Written from the
# specification's schema files; a field the export sends that is not listed here fails the test.
UUID, TEXT, NUMBER = {"type": "string", "format": "uuid"}, {"type": "string"}, {"type": "number"}
FILLED = {"type": "string", "minLength": 1}  # a required text sent empty says nothing: refused here
PLACE = {"type": "string", "enum": ["physical", "postal", "virtual"]}
HSDS_31: dict[str, dict[str, Any]] = {
    "service": {
        "required": ["id", "name", "status"],
        "properties": {
            "id": UUID, "organization_id": UUID, "program_id": UUID, "name": TEXT, "description": TEXT,
            "status": {"type": "string", "enum": ["active", "inactive", "defunct", "temporarily closed"]},
            "eligibility_description": TEXT, "minimum_age": NUMBER, "maximum_age": NUMBER,
            "organization": {"$ref": "#/$defs/organization"}, "program": {"$ref": "#/$defs/program"},
            "service_areas": {"type": "array", "items": {"$ref": "#/$defs/service_area"}},
            "service_at_locations": {"type": "array", "items": {"$ref": "#/$defs/service_at_location"}},
            "capacities": {"type": "array", "items": {"$ref": "#/$defs/service_capacity"}},
        },
    },
    "organization": {"required": ["id", "name", "description"],
                     "properties": {"id": UUID, "name": TEXT, "description": TEXT}},
    "program": {"required": ["id", "name", "description"],
                "properties": {"id": UUID, "organization_id": UUID, "name": TEXT, "description": TEXT}},
    "service_area": {
        "required": ["id"],
        "properties": {"id": UUID, "service_id": UUID, "name": TEXT, "description": TEXT, "extent": TEXT,
                       "extent_type": {"type": "string", "enum": ["geojson", "topojson", "kml", "text"]}},
    },
    "service_at_location": {
        "required": ["id"],
        "properties": {"id": UUID, "service_id": UUID, "location_id": UUID, "location": {"$ref": "#/$defs/location"}},
    },
    "location": {
        "required": ["id", "location_type"],
        "properties": {"id": UUID, "name": TEXT, "location_type": PLACE, "latitude": NUMBER, "longitude": NUMBER,
                       "addresses": {"type": "array", "items": {"$ref": "#/$defs/address"}}},
    },
    "address": {  # country: "an ISO 3361-1 country code (two letter abbreviation)", sic (ISO 3166-1 alpha-2)
        "required": ["id", "address_1", "city", "state_province", "postal_code", "country", "address_type"],
        "properties": {"id": UUID, "location_id": UUID, "address_1": FILLED, "city": FILLED,
                       "state_province": FILLED, "region": TEXT, "postal_code": FILLED,
                       "country": {"type": "string", "pattern": "^[A-Z]{2}$"}, "address_type": PLACE},
    },
    "service_capacity": {
        "required": ["id", "unit", "available", "updated"],
        "properties": {"id": UUID, "service_id": UUID, "unit": {"$ref": "#/$defs/unit"}, "available": NUMBER,
                       "maximum": NUMBER, "description": TEXT, "updated": {"type": "string", "format": "date-time"}},
    },
    "unit": {"required": ["id", "name"], "properties": {"id": UUID, "name": TEXT, "scheme": TEXT}},
}  # fmt: skip


def _schema(name: str) -> dict[str, Any]:
    defs = {n: {"type": "object", "additionalProperties": False, **rules} for n, rules in HSDS_31.items()}
    return {"$ref": f"#/$defs/{name}", "$defs": defs}


def _problems(service: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(_schema("service"), format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(service)]
    for capacity in service.get("capacities", []):
        try:
            datetime.fromisoformat(capacity["updated"])
        except (KeyError, ValueError):
            problems.append(f"capacities: updated {capacity.get('updated')!r} is not a date-time")
    return problems


def test_every_service_of_the_catalogue_is_valid_hsds_3_1() -> None:
    services = [hsds_service(opening, opening.seats, UPDATED) for opening in load_catalogue()]

    assert len(services) == 16
    assert {s["name"]: _problems(s) for s in services} == {s["name"]: [] for s in services}
    locations = [at["location"] for s in services for at in s["service_at_locations"]]
    assert sum("addresses" in location for location in locations) == 6  # the sites a public source names


def test_a_site_with_a_known_address_is_sent_as_an_hsds_3_1_address() -> None:
    site = SiteAddress(street="4 rue Gustave Doré", postal_code="67000", city="Strasbourg", insee_code="67482",
                       latitude=48.57, longitude=7.76)  # fmt: skip
    service = hsds_service(epide_opening(address=site), 1, UPDATED)

    [at_location] = service["service_at_locations"]
    location = at_location["location"]
    [address] = location["addresses"]
    assert (address["address_1"], address["postal_code"]) == ("4 rue Gustave Doré", "67000")
    assert address["city"] == "Strasbourg"
    assert (address["state_province"], address["country"], address["address_type"]) == ("Bas-Rhin", "FR", "physical")
    assert address["location_id"] == location["id"] == at_location["location_id"]
    assert (location["latitude"], location["longitude"]) == (48.57, 7.76)
    assert uuid.UUID(address["id"]).version == 5
    assert _problems(service) == []


def test_a_site_without_coordinates_sends_none_rather_than_nulls() -> None:
    site = SiteAddress(street="44 rue Bargue", postal_code="75015", city="Paris", insee_code="75115")
    location = hsds_service(epide_opening(address=site), 1, UPDATED)["service_at_locations"][0]["location"]

    assert "latitude" not in location and "longitude" not in location
    assert location["addresses"][0]["state_province"] == "Paris"


def test_the_rules_catch_what_the_export_used_to_send() -> None:
    service = hsds_service(epide_opening(), 1, UPDATED)
    service["maximum_age"] = None
    service["service_areas"][0]["extent_type"] = "other"
    service["service_at_locations"][0]["location"]["addresses"] = [
        {"id": str(uuid.uuid4()), "address_1": "", "city": "", "state_province": "67", "postal_code": "",
         "country": "France", "address_type": "home", "insee_code": "67482"}
    ]  # fmt: skip
    service["service_at_locations"][0]["location"]["latitude"] = "48.57"

    problems = " | ".join(_problems(service))

    assert "maximum_age: None is not of type 'number'" in problems
    assert "'other' is not one of" in problems
    assert "address_1" in problems and "postal_code" in problems
    assert "'France' does not match" in problems and "'home' is not one of" in problems
    assert "'insee_code' was unexpected" in problems and "'48.57' is not of type 'number'" in problems
