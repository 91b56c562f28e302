"""The signing form: what the auditor typed, turned into a `CirSigningCreate`, or French messages beside
each field that is wrong (and nothing stored)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.referrals.console.occupations import OccupationReferential
from services.referrals.domain.errors import InvalidFields
from services.referrals.domain.signing import CirSigningCreate

OCCUPATION_FIELDS = ("occupation_1", "occupation_2", "occupation_3")
_CODE = re.compile(r"^\s*([A-Na-n][0-9]{4})\b")
_FRENCH_BY_TYPE = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce champ est obligatoire.",
    "string_pattern_mismatch": "Le format n'est pas reconnu.",
    "date_from_datetime_parsing": "Date invalide : utilisez le sélecteur de date.",
    "date_parsing": "Date invalide : utilisez le sélecteur de date.",
    "date_type": "Date invalide : utilisez le sélecteur de date.",
    "enum": "Choisissez une valeur de la liste.",
    "literal_error": "Choisissez une valeur de la liste.",
    "int_parsing": "Un nombre entier est attendu.",
    "less_than_equal": "La valeur est trop grande.",
    "greater_than_equal": "La valeur est trop petite.",
    "string_too_long": "Le texte est trop long.",
    "bool_parsing": "Répondez oui ou non.",
}
_FRENCH_BY_FIELD = {
    "beneficiary_id": "Numéro de dossier OFII : 3 à 64 lettres, chiffres, « - » ou « _ », sans espace.",
    "contact.email": "Adresse e-mail invalide.",
    "contact.phone": "Numéro de téléphone invalide (chiffres, espaces, « + », 6 à 20 caractères).",
    "department": "Choisissez le département dans la liste.",
    "return_country": "Code pays sur 2 lettres (ISO), par exemple SN.",
    "household_id": "Identifiant du foyer : 3 à 64 lettres, chiffres, « - » ou « _ », sans espace.",
}


@dataclass
class FormResult:
    signing: CirSigningCreate | None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def occupation_code(typed: str, referential: OccupationReferential) -> str | None:
    """'H2913 — Soudeur / Soudeuse' or 'h2913' → 'H2913'; a title typed in full → its code."""
    match = _CODE.match(typed)
    if match:
        return match.group(1).upper()
    found = referential.search(typed, limit=1)
    return found[0].code if found and found[0].title.lower() == typed.strip().lower() else None


def parse_signing(form: dict[str, str], referential: OccupationReferential) -> FormResult:
    values = {k: str(v) for k, v in form.items()}
    errors: dict[str, str] = {}
    occupations: list[str] = []
    for name in OCCUPATION_FIELDS:
        typed = _blank_to_none(values.get(name))
        if typed is None:
            continue
        code = occupation_code(typed, referential)
        if code is None or referential.get(code) is None:
            errors[name] = "Métier introuvable dans le référentiel ROME : choisissez-le dans la liste proposée."
        else:
            occupations.append(code)
    contact: dict[str, Any] = {
        "given_name": _blank_to_none(values.get("given_name")),
        "family_name": _blank_to_none(values.get("family_name")),
        "email": _blank_to_none(values.get("email")),
        "phone": _blank_to_none(values.get("phone")),
    }
    diploma = _blank_to_none(values.get("diploma_level"))
    body: dict[str, Any] = {
        "beneficiary_id": _blank_to_none(values.get("beneficiary_id")),
        "birth_date": _blank_to_none(values.get("birth_date")),
        "cir_signed_on": _blank_to_none(values.get("cir_signed_on")),
        "french_level": _blank_to_none(values.get("french_level")),
        "diploma_level": diploma,
        "occupations": list(dict.fromkeys(occupations)),
        "skills": [s.strip() for s in (values.get("skills") or "").split(",") if s.strip()],
        "department": _blank_to_none(values.get("department")),
        "mobility": _blank_to_none(values.get("mobility")),
        "housing": _blank_to_none(values.get("housing")),
        "protection_status": _blank_to_none(values.get("protection_status")),
        "rsa_applicant": {"oui": True, "non": False}.get(values.get("rsa_applicant", "")),
        "rsa_applied_on": _blank_to_none(values.get("rsa_applied_on")),
        "return_country": (_blank_to_none(values.get("return_country")) or "").upper() or None,
        "household_id": _blank_to_none(values.get("household_id")),
        "consent_to_share": values.get("consent_to_share") == "oui",
        "contact": contact if contact["given_name"] or contact["family_name"] else None,
    }
    if body["contact"] is not None:
        for part in ("given_name", "family_name"):
            if not contact[part]:
                errors[part] = "Prénom et nom vont ensemble : renseignez les deux."
    try:
        signing = CirSigningCreate.model_validate(body).readable()
    except ValidationError as exc:
        for error in exc.errors():
            errors.setdefault(_field_of(error["loc"]), french_message(error))
        return FormResult(None, errors, values)
    except InvalidFields as exc:
        for loc, message in exc.problems:
            errors.setdefault(_field_of(loc), french_part(message))
        return FormResult(None, errors, values)
    if errors:
        return FormResult(None, errors, values)
    return FormResult(signing, {}, values)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if parts[:1] == ["contact"]:
        return parts[1] if len(parts) > 1 else "family_name"
    if parts[:1] == ["occupations"]:
        return "occupation_1"
    if not parts:
        return "birth_date"  # a rule across fields (the birth date after the signing)
    return parts[0]


def french_message(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
    if error.get("input", "") is None:
        return "Ce champ est obligatoire."
    if loc in _FRENCH_BY_FIELD:
        return _FRENCH_BY_FIELD[loc]
    message = str(error.get("msg", ""))
    if "birth_date must be before cir_signed_on" in message:
        return "La date de naissance doit précéder la signature du CIR."
    if "sans demande de RSA" in message:
        return "Une date de demande de RSA suppose « Demande de RSA : oui »."
    return _FRENCH_BY_TYPE.get(str(error["type"]), "Valeur invalide.")


# The signing form's inputs as their labels say them (not the profile's fields, which the history names
# in auditor_pages.FIELD_LABELS), for the summary of errors above the form (each entry
# names its field: "Prénom — Caractère invisible … refusé").
FORM_LABELS = {
    "beneficiary_id": "Numéro de dossier OFII",
    "household_id": "Foyer",
    "given_name": "Prénom",
    "family_name": "Nom",
    "email": "E-mail",
    "phone": "Téléphone",
    "birth_date": "Date de naissance",
    "cir_signed_on": "Date de signature du CIR",
    "department": "Département de résidence",
    "french_level": "Niveau de français (CECRL)",
    "housing": "Hébergement",
    "protection_status": "Statut",
    "mobility": "Mobilité géographique",
    "rsa_applicant": "Demande de RSA",
    "rsa_applied_on": "Date de la demande de RSA",
    "diploma_level": "Niveau du diplôme le plus élevé (cadre européen)",
    "skills": "Compétences (séparées par des virgules)",
    **{field: f"Métier {n}" for n, field in enumerate(OCCUPATION_FIELDS, start=1)},
}


def french_part(message: str) -> str:
    """Our domain messages read 'français / English': the console shows the French."""
    return message.split(" / ", 1)[0]


def form_values(signing: CirSigningCreate, referential: OccupationReferential) -> dict[str, str]:
    """A recorded signing as the form's values, to amend it."""
    values = {
        "beneficiary_id": signing.beneficiary_id,
        "birth_date": signing.birth_date.isoformat(),
        "cir_signed_on": signing.cir_signed_on.isoformat(),
        "french_level": signing.french_level.value if signing.french_level else "",
        "diploma_level": "" if signing.diploma_level is None else str(signing.diploma_level),
        "skills": ", ".join(signing.skills),
        "department": signing.department,
        "mobility": signing.mobility.value if signing.mobility else "",
        "housing": signing.housing.value if signing.housing else "",
        "protection_status": signing.protection_status.value if signing.protection_status else "",
        "rsa_applicant": {True: "oui", False: "non", None: ""}[signing.rsa_applicant],
        "rsa_applied_on": signing.rsa_applied_on.isoformat() if signing.rsa_applied_on else "",
        "return_country": signing.return_country or "",
        "household_id": signing.household_id or "",
        "consent_to_share": "oui" if signing.consent_to_share else "",
    }
    for name, code in zip(OCCUPATION_FIELDS, signing.occupations, strict=False):
        values[name] = f"{code} — {referential.title(code)}"
    if signing.contact:
        values |= {
            "given_name": signing.contact.given_name,
            "family_name": signing.contact.family_name,
            "email": str(signing.contact.email or ""),
            "phone": signing.contact.phone or "",
        }
    return values
