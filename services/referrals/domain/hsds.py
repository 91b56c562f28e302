"""The catalogue as Open Referral HSDS 3.1 services: organization, service, location, service_capacity."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.events import ProgrammeOpening

HSDS_NAMESPACE = uuid.UUID("a5d0e6f2-3b1c-4e8f-9a7d-6c5b4a3f2e10")
SEAT_UNIT = {"id": str(uuid.uuid5(HSDS_NAMESPACE, "unit:seat")), "name": "seat", "scheme": "passerelle"}


def _id(kind: str, key: str) -> str:
    return str(uuid.uuid5(HSDS_NAMESPACE, f"{kind}:{key}"))


def eligibility_description(opening: ProgrammeOpening) -> str:
    rules = opening.eligibility
    parts = []
    if rules.min_age is not None and rules.max_age is not None:
        parts.append(f"aged {rules.min_age} to {rules.max_age} at the start date")
    elif rules.min_age is not None:
        parts.append(f"aged {rules.min_age} or over at the start date")
    elif rules.max_age is not None:
        parts.append(f"aged {rules.max_age} or under at the start date")
    if rules.min_french:
        parts.append(f"French {rules.min_french.value} or above")
    if rules.max_french:
        parts.append(f"French up to {rules.max_french.value}")
    if rules.max_diploma_level == 0:
        parts.append("no diploma")
    elif rules.max_diploma_level is not None:
        parts.append(f"diploma up to EQF level {rules.max_diploma_level}")
    if rules.protection_statuses:
        parts.append("protection status: " + ", ".join(s.value for s in rules.protection_statuses))
    if rules.departments:
        parts.append("living in département " + ", ".join(rules.departments))
    if rules.area:
        parts.append("living in " + ", ".join(rules.area) + " or willing to move")
    if rules.rsa_applicant_required:
        parts.append("new RSA applicants")
    if rules.mobility_required:
        parts.append(f"willing to move ({rules.mobility_required.value})")
    if rules.return_countries:
        parts.append("returning to " + ", ".join(rules.return_countries))
    return "; ".join(parts) or "open to all CIR signatories"


def hsds_service(opening: ProgrammeOpening, available: int, updated: datetime) -> dict[str, Any]:
    """One opening as an HSDS service with its organization, location and seat capacity."""
    service_id = _id("service", opening.opening_id)
    location_id = _id("location", f"{opening.partner_id}:{opening.department}")
    ages = {"minimum_age": opening.eligibility.min_age, "maximum_age": opening.eligibility.max_age}
    service: dict[str, Any] = {
        "id": service_id,
        "name": f"{opening.programme} — {opening.opening_id}",
        "description": opening.title or opening.programme,
        "status": "active" if opening.seats > 0 else "inactive",
        "organization_id": _id("organization", opening.partner_id),
        "program_id": _id("program", f"{opening.partner_id}:{opening.programme}"),
        "eligibility_description": eligibility_description(opening),
        **{field: age for field, age in ages.items() if age is not None},  # unknown: left out, never null
        "organization": {
            "id": _id("organization", opening.partner_id),
            "name": opening.partner_name or opening.partner_id,
            "description": opening.partner_name or opening.partner_id,
        },
        "program": {
            "id": _id("program", f"{opening.partner_id}:{opening.programme}"),
            "organization_id": _id("organization", opening.partner_id),
            "name": opening.programme,
            "description": opening.programme,
        },
        "service_areas": [
            {
                "id": _id("area", f"{opening.opening_id}:{d}"),
                "service_id": service_id,
                "name": f"département {d}",
                "extent": f"département {d}",
                "extent_type": "text",  # HSDS 3.1: geojson, topojson, kml, or text
            }
            for d in (opening.eligibility.departments or opening.eligibility.area or [opening.department])
        ],
        "service_at_locations": [
            {
                "id": _id("service_at_location", f"{service_id}:{location_id}"),
                "service_id": service_id,
                "location_id": location_id,
                "location": {
                    # No street address is known for the sites: HSDS 3.1 requires address_1, city and
                    # postal_code in an address, so none is sent rather than empty ones.
                    "id": location_id,
                    "location_type": "physical",
                    "name": f"{opening.partner_name or opening.partner_id}, département {opening.department}",
                },
            }
        ],
        "capacities": [
            {
                "id": _id("capacity", opening.opening_id),
                "service_id": service_id,
                "unit": SEAT_UNIT,
                "available": available,
                "maximum": opening.seats,
                "description": f"seats in the cohort starting {opening.starts_on}",
                "updated": updated.isoformat(timespec="milliseconds"),
            }
        ],
    }
    return service


def hsds_page(services: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
    """The HSDS API's paginated list shape."""
    total = len(services)
    pages = max(1, -(-total // per_page))
    contents = services[(page - 1) * per_page : page * per_page]
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not contents,
        "contents": contents,
    }
