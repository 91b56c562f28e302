"""The catalogue for data·inclusion (schéma de l'offre d'insertion, v1), read by Les emplois de l'inclusion and
Dora: one structure per partner, one service per opening. Plain dicts: the official models (PyPI package
data-inclusion-schema) are what the tests check them against, not a runtime dependency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from babel.dates import format_date

from services.referrals.exports.hsds import eligibility_description
from services.referrals.wording import french
from shared.contract.events import ProgrammeOpening
from shared.contract.events.opening import SiteAddress

SOURCE = "passerelle"
NATIONWIDE = "france"  # the schema's code for « éligible sur l'ensemble du territoire national »
YOUTH_MAX_AGE = 30  # an upper age bound at or under this makes a programme one for `jeunes`
LEARN_FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
HOUSING = "logement-hebergement--rechercher-une-solution-dhebergement-temporaire"
# What a programme is, read from its rules, and how data·inclusion files it: (type, thématiques).
KINDS: dict[str, tuple[str, list[str]]] = {
    "return": ("aide-financiere", ["souvrir-a-linternational--sinformer-sur-les-aides-pour-travailler-a-letranger"]),
    "french": ("formation", [LEARN_FRENCH]),
    "rsa": ("accompagnement", ["preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi"]),
    "jobs": ("accompagnement", ["se-former--trouver-sa-formation", "trouver-un-emploi--repondre-a-des-offres-demploi"]),
    "insertion": ("accompagnement", ["choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"]),
}


def structure_id(partner_id: str) -> str:
    return f"{SOURCE}--{partner_id}"


def _kind(opening: ProgrammeOpening) -> str:
    rules = opening.eligibility
    if rules.return_countries:
        return "return"
    if rules.max_french:
        return "french"
    if rules.rsa_applicant_required:
        return "rsa"
    return "jobs" if opening.target_occupations else "insertion"


def _name(text: str) -> str:
    """3 to 150 characters, no final full stop (the schema's rules for `nom`)."""
    text = text.strip().rstrip(".")
    return text if len(text) <= 150 else text[:149].rstrip() + "…"


def _titled(opening: ProgrammeOpening) -> str:
    """The opening's title, or its programme and id when the title is too short to be a name (3 characters)."""
    title = opening.title.strip().rstrip(".")
    return title if len(title) >= 3 else f"{opening.programme} ({opening.opening_id})"


def _site(address: SiteAddress | None) -> dict[str, Any]:
    if address is None:
        return {}
    site = {"adresse": address.street, "code_postal": address.postal_code, "commune": address.city,
            "code_insee": address.insee_code, "latitude": address.latitude, "longitude": address.longitude}  # fmt: skip
    return {field: value for field, value in site.items() if value is not None}


def _zone(opening: ProgrammeOpening) -> list[str]:
    """Where people must live: the départements of the rule, else anywhere (an `area` admits movers)."""
    return list(opening.eligibility.departments or [NATIONWIDE])


def _publics(opening: ProgrammeOpening) -> list[str]:
    rules, publics = opening.eligibility, {"personnes-exilees"}  # every Passerelle referral follows a CIR
    if rules.max_age is not None and rules.max_age <= YOUTH_MAX_AGE:
        publics.add("jeunes")
    if rules.rsa_applicant_required:
        publics.add("beneficiaires-des-minimas-sociaux")
    return sorted(publics)


def _description(opening: ProgrammeOpening, available: int) -> str:
    where = french.department(opening.department)
    starts = format_date(opening.starts_on, format="long", locale="fr_FR")
    lines = [
        f"{_name(_titled(opening))}.",
        f"Programme {opening.programme}, porté par {opening.partner_name or opening.partner_id}, "
        f"département {where}. Session à partir du {starts} : {opening.seats} places, "
        f"dont {available} encore libres.",
    ]
    if opening.offers_housing:
        lines.append("Un hébergement est proposé pendant le parcours.")
    if opening.target_occupations:
        lines.append("Métiers visés (codes ROME) : " + ", ".join(opening.target_occupations) + ".")
    lines.append(
        "Les personnes y sont orientées par Passerelle après la signature de leur contrat d'intégration "
        f"républicaine ; la structure répond à chaque orientation sous {opening.response_days} jours."
    )
    return " ".join(lines)


def di_service(opening: ProgrammeOpening, available: int, updated: date) -> dict[str, Any]:
    """One opening as a data·inclusion service; fields Passerelle does not know are left out."""
    kind, themes = KINDS[_kind(opening)]
    thematiques = {*themes, *([HOUSING] if opening.offers_housing else [])}
    conditions = eligibility_description(opening, "fr")
    return {
        "source": SOURCE,
        "id": f"{SOURCE}--{opening.opening_id}",
        "structure_id": structure_id(opening.partner_id),
        "nom": _name(_titled(opening)),
        "description": _description(opening, available),
        "date_maj": updated.isoformat(),
        "type": kind,
        "thematiques": sorted(thematiques),
        "publics": _publics(opening),
        "publics_precisions": "Personnes signataires du contrat d'intégration républicaine (CIR).",
        "conditions_acces": conditions[0].upper() + conditions[1:] + ".",
        "zone_eligibilite": _zone(opening),
        "mobilisable_par": ["professionnels"],
        "mobilisation_precisions": "Orientation par l'auditeur ou l'auditrice de l'OFII, en fin de session "
        "d'accueil du contrat d'intégration républicaine, au moyen de Passerelle.",
        **_site(opening.address),
    }


def di_structures(openings: Iterable[ProgrammeOpening], updated: date) -> list[dict[str, Any]]:
    """One structure per partner; an address only when every one of its openings gives the same one."""
    by_partner: dict[str, list[ProgrammeOpening]] = defaultdict(list)
    for opening in openings:
        by_partner[opening.partner_id].append(opening)
    structures = []
    for partner_id, theirs in sorted(by_partner.items()):
        name = next((o.partner_name for o in theirs if o.partner_name), partner_id)
        programmes = ", ".join(sorted({o.programme for o in theirs}))
        sites = {o.address for o in theirs}
        structures.append(
            {
                "source": SOURCE,
                "id": structure_id(partner_id),
                "nom": _name(name if len(name.strip().rstrip(".")) >= 3 else f"Partenaire {partner_id}"),
                "date_maj": updated.isoformat(),
                "description": "Structure partenaire : Passerelle lui adresse des signataires du contrat "
                f"d'intégration républicaine (programmes : {programmes}).",
                **(_site(sites.pop()) if len(sites) == 1 else {}),
            }
        )
    return structures


def di_page(items: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
    """data·inclusion's API list shape: items, total, page, size (of this page), pages."""
    contents = items[(page - 1) * size : page * size]
    pages = -(-len(items) // size)
    return {"items": contents, "total": len(items), "page": page, "size": len(contents), "pages": pages}
