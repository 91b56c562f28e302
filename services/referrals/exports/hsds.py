"""The catalogue as Open Referral HSDS 3.1 services: organization, service, location, service_capacity."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.referrals.wording import french
from shared.contract.events import ProgrammeOpening
from shared.contract.vocabulary import Mobility, ProtectionStatus

HSDS_NAMESPACE = uuid.UUID("a5d0e6f2-3b1c-4e8f-9a7d-6c5b4a3f2e10")
SEAT_UNIT = {"id": str(uuid.uuid5(HSDS_NAMESPACE, "unit:seat")), "name": "seat", "scheme": "passerelle"}


def _id(kind: str, key: str) -> str:
    return str(uuid.uuid5(HSDS_NAMESPACE, f"{kind}:{key}"))


# How each eligibility rule reads, in English (HSDS) and in French (data·inclusion); the values are filled in.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "ages": "aged {low} to {high} at the start date",
        "min_age": "aged {low} or over at the start date",
        "max_age": "aged {high} or under at the start date",
        "min_french": "French {level} or above",
        "max_french": "French up to {level}",
        "no_diploma": "no diploma",
        "max_diploma": "diploma up to EQF level {level}",
        "statuses": "protection status: {statuses}",
        "departments": "living in département {where}",
        "area": "living in {where} or willing to move",
        "rsa": "new RSA applicants",
        "mobility": "willing to move ({mobility})",
        "return": "returning to {countries}",
        "anyone": "open to all CIR signatories",
        "and": "; ",
    },
    "fr": {
        "ages": "avoir entre {low} et {high} ans à la date d'entrée",
        "min_age": "avoir au moins {low} ans à la date d'entrée",
        "max_age": "avoir au plus {high} ans à la date d'entrée",
        "min_french": "parler français au niveau {level} ou plus",
        "max_french": "parler français au niveau {level} au plus",
        "no_diploma": "être sans diplôme",
        "max_diploma": "avoir un diplôme de niveau {level} au plus (cadre européen des certifications)",
        "statuses": "bénéficier d'une protection : {statuses}",
        "departments": "habiter l'un de ces départements : {where}",
        "area": "habiter l'un de ces départements : {where}, ou accepter de déménager partout en France",
        "rsa": "être nouveau demandeur du RSA",
        "mobility": "accepter de déménager {mobility}",
        "return": "retourner dans l'un de ces pays : {countries}",
        "anyone": "ouvert à tous les signataires du contrat d'intégration républicaine",
        "and": " ; ",
    },
}
_MOVES_FR = {Mobility.NONE: "si besoin", Mobility.REGION: "dans sa région", Mobility.NATIONAL: "partout en France"}


def _names(kind: str, codes: Sequence[str], language: str) -> str:
    """Départements, statuses, countries: codes in English, names in French."""
    if language == "en":
        return ", ".join(codes)
    name = {"where": french.department, "statuses": lambda c: french.PROTECTION[ProtectionStatus(c)].lower()}
    return ", ".join(name.get(kind, french.country)(code) for code in codes)


def eligibility_description(opening: ProgrammeOpening, language: str = "en") -> str:
    """The opening's rules as one sentence: "en" for HSDS, "fr" for data·inclusion."""
    say, rules, parts = PHRASES[language], opening.eligibility, []
    if rules.min_age is not None and rules.max_age is not None:
        parts.append(say["ages"].format(low=rules.min_age, high=rules.max_age))
    elif rules.min_age is not None:
        parts.append(say["min_age"].format(low=rules.min_age))
    elif rules.max_age is not None:
        parts.append(say["max_age"].format(high=rules.max_age))
    if rules.min_french:
        parts.append(say["min_french"].format(level=rules.min_french.value))
    if rules.max_french:
        parts.append(say["max_french"].format(level=rules.max_french.value))
    if rules.max_diploma_level == 0:
        parts.append(say["no_diploma"])
    elif rules.max_diploma_level is not None:
        parts.append(say["max_diploma"].format(level=rules.max_diploma_level))
    if rules.protection_statuses:
        statuses = _names("statuses", [s.value for s in rules.protection_statuses], language)
        parts.append(say["statuses"].format(statuses=statuses))
    if rules.departments:
        parts.append(say["departments"].format(where=_names("where", rules.departments, language)))
    if rules.area:
        parts.append(say["area"].format(where=_names("where", rules.area, language)))
    if rules.rsa_applicant_required:
        parts.append(say["rsa"])
    if rules.mobility_required:
        moves = rules.mobility_required.value if language == "en" else _MOVES_FR[rules.mobility_required]
        parts.append(say["mobility"].format(mobility=moves))
    if rules.return_countries:
        parts.append(say["return"].format(countries=_names("countries", rules.return_countries, language)))
    return say["and"].join(parts) or say["anyone"]


def hsds_addresses(opening: ProgrammeOpening, location_id: str) -> dict[str, Any]:
    """The site's street address and coordinates, as HSDS 3.1 location fields; nothing when none is known."""
    site = opening.address
    if site is None:
        return {}  # HSDS 3.1 requires address_1, city and postal_code: no address rather than empty ones
    department = site.insee_code[:3] if site.insee_code.startswith("97") else site.insee_code[:2]
    address = {
        "id": _id("address", f"{location_id}:{site.postal_code}:{site.street}"),
        "location_id": location_id,
        "address_1": site.street,
        "city": site.city,
        "state_province": french.DEPARTMENTS.get(department, department),
        "postal_code": site.postal_code,
        "country": "FR",
        "address_type": "physical",
    }
    coordinates = {"latitude": site.latitude, "longitude": site.longitude}
    return {"addresses": [address], **{k: v for k, v in coordinates.items() if v is not None}}


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
                    "id": location_id,
                    "location_type": "physical",
                    "name": f"{opening.partner_name or opening.partner_id}, département {opening.department}",
                    **hsds_addresses(opening, location_id),
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
