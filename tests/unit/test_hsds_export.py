from datetime import UTC, datetime

from services.referrals.domain.hsds import hsds_page, hsds_service
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
