"""How the console says things in French: the vocabularies' labels, dates ("4 janvier 2027"), départements
and countries by name."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from babel.localedata import load

from services.referrals.wording import i18n
from shared.contract.events import ConsentChannel
from shared.contract.paris_time import PARIS
from shared.contract.vocabulary import (
    DeclineReason,
    FrenchLevel,
    Housing,
    Mobility,
    OutcomeAtThreeMonths,
    ProtectionStatus,
    ReferralStatus,
)

FRENCH_LEVEL = {
    FrenchLevel.NONE: "Aucune notion (non lecteur, non scripteur)",
    FrenchLevel.A1: "A1 — découverte",
    FrenchLevel.A2: "A2 — survie",
    FrenchLevel.B1: "B1 — seuil",
    FrenchLevel.B2: "B2 — avancé",
    FrenchLevel.C1: "C1 — autonome",
    FrenchLevel.C2: "C2 — maîtrise",
}
HOUSING = {
    Housing.NONE: "Sans hébergement stable",
    Housing.CPH: "Centre provisoire d'hébergement (CPH)",
    Housing.CADA: "Centre d'accueil de demandeurs d'asile (CADA)",
    Housing.ADOMA: "Résidence Adoma",
    Housing.PRIVATE: "Logement personnel",
}
PROTECTION = {
    ProtectionStatus.REFUGEE: "Réfugié(e) statutaire",
    ProtectionStatus.SUBSIDIARY: "Protection subsidiaire",
    ProtectionStatus.OTHER: "Autre titre de séjour",
}
MOBILITY = {
    Mobility.NONE: "Ne souhaite pas déménager",
    Mobility.REGION: "Prêt(e) à bouger dans la région",
    Mobility.NATIONAL: "Prêt(e) à déménager partout en France",
}
STATUS = {
    ReferralStatus.PROPOSED: "Proposée",
    ReferralStatus.SENT: "Envoyée",
    ReferralStatus.ACCEPTED: "Acceptée",
    ReferralStatus.DECLINED: "Refusée",
    ReferralStatus.EXPIRED: "Expirée (sans réponse)",
    ReferralStatus.WAITLISTED: "En liste d'attente",
    ReferralStatus.WITHDRAWN: "Retirée",
    ReferralStatus.ENROLLED: "Entrée en parcours",
    ReferralStatus.COMPLETED: "Parcours terminé",
    ReferralStatus.DROPPED_OUT: "Abandon",
}
CONSENT_CHANNEL = {
    ConsentChannel.IN_PERSON: "En entretien à l'OFII",
    ConsentChannel.CONSOLE: "Dans la console",
    ConsentChannel.PHONE: "Par téléphone",
    ConsentChannel.MAIL: "Par courrier ou courriel",
    ConsentChannel.API: "Par un autre système",
    ConsentChannel.SYSTEM: "Par Passerelle (fin de la durée de conservation)",
}
AUDIT_ACTION = {
    "contact_disclosed": "coordonnées communiquées",
    "personal_data_exported": "relevé des données",
    "personal_data_erased": "données effacées",
    "email_sent": "courriel d'orientation envoyé à la structure",
}
DECLINE_REASON = {
    DeclineReason.UNREACHABLE: "Personne injoignable",
    DeclineReason.DID_NOT_COME: "Ne s'est pas présentée",
    DeclineReason.HIRED_ELSEWHERE: "A trouvé un emploi ailleurs",
    DeclineReason.ALREADY_IN_TRAINING: "Déjà en formation",
    DeclineReason.NO_CAPACITY: "Session complète",
    DeclineReason.NOT_ELIGIBLE: "Ne remplit pas les conditions",
    DeclineReason.NOT_MOBILE: "Pas mobile",
    DeclineReason.NOT_INTERESTED: "Pas intéressée",
    DeclineReason.MISSING_DOCUMENTS: "Pièces manquantes",
    DeclineReason.OUT_OF_AREA: "Hors zone",
    DeclineReason.DUPLICATE: "Doublon",
    DeclineReason.OTHER: "Autre (préciser)",
}
OUTCOME = {
    OutcomeAtThreeMonths.EMPLOYED: "En emploi",
    OutcomeAtThreeMonths.IN_TRAINING: "En formation",
    OutcomeAtThreeMonths.NONE: "Ni emploi ni formation",
}
DIPLOMA = {
    0: "Aucun diplôme",
    1: "Niveau 1 — savoirs de base",
    2: "Niveau 2 — fin de scolarité obligatoire",
    3: "Niveau 3 — CAP, BEP",
    4: "Niveau 4 — baccalauréat",
    5: "Niveau 5 — bac + 2 (BTS, DUT)",
    6: "Niveau 6 — licence, bachelor",
    7: "Niveau 7 — master",
    8: "Niveau 8 — doctorat",
}
AGE_BAND = {"under 18": "moins de 18 ans", "56+": "56 ans et plus"}

# Départements by code, as INSEE writes them (metropolitan France, Corsica and the overseas ones).
DEPARTMENTS = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardèche",
    "08": "Ardennes",
    "09": "Ariège",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhône",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Corrèze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Côte-d'Or",
    "22": "Côtes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drôme",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistère",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Hérault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isère",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozère",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nièvre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhône",
    "70": "Haute-Saône",
    "71": "Saône-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sèvres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendée",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
}
_TERRITORIES = load("fr")["territories"]


def _locale() -> str:
    return "fr_FR" if i18n.current() == "fr" else "en_GB"


def department(code: str) -> str:
    name = DEPARTMENTS.get(code)
    return f"{name} ({code})" if name else code


def country(code: str | None) -> str:
    """'SN' → 'Sénégal' (Babel's CLDR names)."""
    if not code:
        return ""
    return str(_TERRITORIES.get(code.upper(), code))


def long_date(value: date | datetime | None) -> str:
    """'4 janvier 2027'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return str(format_date(value, format="long", locale=_locale()))


def date_time(value: datetime | None) -> str:
    """'4 janvier 2027 à 14:05' (Paris time)."""
    if value is None:
        return ""
    pattern = "d MMMM y 'à' HH:mm" if i18n.current() == "fr" else "d MMMM y 'at' HH:mm"
    return str(format_datetime(value, pattern, tzinfo=PARIS, locale=_locale()))


def age_band(label: str) -> str:
    return AGE_BAND.get(label, f"{label} ans")


def actor(name: str) -> str:
    """Who did it, as events name them ('partner:epide/marie', 'auditor:…', 'matching')."""
    if name == "matching":
        return "Passerelle (appariement)"
    if name == "newcomer":
        return "la personne"
    kind, _, who = name.partition(":")
    label = {"partner": "partenaire", "auditor": "auditeur OFII", "admin": "administration", "link": "lien e-mail"}
    return f"{label.get(kind, kind)} {who}".strip()


# The success estimate, in words, for the auditor only (never on the partner's side or the person's sheet).
CHANCES = {
    "good": "Chances de réussite estimées : bonnes",
    "fair": "Chances de réussite estimées : moyennes",
    "low": "Chances de réussite estimées : faibles",
}


def chances(score: float) -> str:
    """A probability of success in three words: at least 0.7 good, at least 0.5 fair, below that low."""
    return "good" if score >= 0.7 else "fair" if score >= 0.5 else "low"
