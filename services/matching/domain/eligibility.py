"""Eligibility as data: each key of an opening's `eligibility` is a rule that answers pass, fail or
unknown (the profile lacks the fact), always with a reason in plain French and, when something would lift a
"no", the remedy ("éligible dès que le niveau A2 est certifié"). A remedy is something the person can do or
choose (a course and a certification, a move, an RSA application, a fact to record); an age, a protection
status, a diploma or French ceiling are never lifted, and an opening shows remedies only when every rule it
fails has one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from babel import Locale
from babel.dates import format_date

from services.matching.domain.geography import region_of
from shared.contract.age import age_on
from shared.contract.events import BeneficiaryProfile, Eligibility, ProgrammeOpening
from shared.contract.vocabulary import Mobility

RULESET_VERSION = "eligibility-2026.11.3"
_MOBILITY_ORDER = [Mobility.NONE, Mobility.REGION, Mobility.NATIONAL]


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RuleResult:
    rule: str
    outcome: Outcome
    reason: str
    remedy: str | None = None  # what would make this rule pass, when something can


@dataclass(frozen=True)
class EligibilityDecision:
    opening_id: str
    results: tuple[RuleResult, ...]
    ruleset_version: str = RULESET_VERSION

    @property
    def eligible(self) -> bool:
        return all(r.outcome is Outcome.PASS for r in self.results)

    @property
    def near_eligible(self) -> bool:
        """Not eligible yet, but every rule that does not pass has a remedy (a certificate, a missing fact)."""
        blocking = [r for r in self.results if r.outcome is not Outcome.PASS]
        return bool(blocking) and all(r.remedy for r in blocking)

    @property
    def reasons(self) -> list[str]:
        return [r.reason for r in self.results]

    @property
    def failures(self) -> list[str]:
        return [r.reason for r in self.results if r.outcome is not Outcome.PASS]

    @property
    def remedies(self) -> list[str]:
        """What would lift every rule that does not pass, all of them; nothing when one cannot be lifted (an
        age, a protection status, a diploma ceiling are reasons, never remedies)."""
        if not self.near_eligible:
            return []
        return list(dict.fromkeys(r.remedy for r in self.results if r.outcome is not Outcome.PASS and r.remedy))

    @property
    def only_for_a_return(self) -> bool:
        """A return programme for someone who asked for no return: not shown at all."""
        return any(r.rule == "return_countries" and r.outcome is not Outcome.PASS for r in self.results)


Rule = Callable[[Eligibility, BeneficiaryProfile, ProgrammeOpening], RuleResult | None]


def _min_age(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.min_age is None:
        return None
    age = age_on(p.birth_date, o.starts_on)
    if age >= rules.min_age:
        return _ok(
            "min_age",
            f"{age} ans au démarrage ({_d(o.starts_on)}) : "
            f"l'âge minimum de {o.programme} ({rules.min_age} ans) est atteint",
        )
    return _no(
        "min_age", f"{age} ans au démarrage ({_d(o.starts_on)}) : {o.programme} demande {rules.min_age} ans au moins"
    )


def _max_age(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.max_age is None:
        return None
    age = age_on(p.birth_date, o.starts_on)
    if age <= rules.max_age:
        return _ok(
            "max_age",
            f"{age} ans au démarrage ({_d(o.starts_on)}) : dans la limite de {rules.max_age} ans de {o.programme}",
        )
    return _no(
        "max_age",
        f"{age} ans au démarrage ({_d(o.starts_on)}) : {o.programme} s'adresse aux {rules.max_age} ans au plus",
    )


def _min_french(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.min_french is None:
        return None
    need = rules.min_french.value
    if p.french_level is None:
        return _unknown(
            "min_french",
            f"niveau de français non évalué ; {o.programme} demande {_cefr(need)}",
            f"éligible dès qu'un niveau {_cefr(need)} ou plus est enregistré",
        )
    if p.french_level.rank >= rules.min_french.rank:
        return _ok(
            "min_french",
            f"français {_cefr(p.french_level.value)} : le minimum de {o.programme} ({_cefr(need)}) est atteint",
        )
    return _no(
        "min_french",
        f"français {_cefr(p.french_level.value)} : {o.programme} demande au moins {_cefr(need)}",
        f"éligible dès que le niveau {_cefr(need)} est certifié",
    )


def _max_french(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.max_french is None:
        return None
    top = rules.max_french.value
    if p.french_level is None:
        return _unknown(
            "max_french",
            f"niveau de français non évalué ; {o.programme} s'adresse aux niveaux jusqu'à {_cefr(top)}",
            "à décider une fois le niveau de français enregistré",
        )
    if p.french_level.rank <= rules.max_french.rank:
        return _ok(
            "max_french",
            f"français {_cefr(p.french_level.value)} : dans le public de {o.programme} (jusqu'à {_cefr(top)})",
        )
    return _no(
        "max_french",
        f"français {_cefr(p.french_level.value)} : au-dessus du public de {o.programme} (jusqu'à {_cefr(top)})",
    )


def _max_diploma(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.max_diploma_level is None:
        return None
    limit = (
        "sans diplôme"
        if rules.max_diploma_level == 0
        else f"diplôme de niveau {rules.max_diploma_level} au plus (cadre européen)"
    )
    if p.diploma_level is None:
        return _unknown(
            "max_diploma_level",
            f"niveau de diplôme non enregistré ; {o.programme} admet : {limit}",
            "à décider une fois le niveau de diplôme enregistré",
        )
    if p.diploma_level <= rules.max_diploma_level:
        return _ok(
            "max_diploma_level", f"diplôme de niveau {p.diploma_level} : conforme à la règle de {o.programme} ({limit})"
        )
    return _no(
        "max_diploma_level", f"diplôme de niveau {p.diploma_level} : au-dessus de la règle de {o.programme} ({limit})"
    )


def _departments(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.departments is None:
        return None
    where = ", ".join(rules.departments)
    if p.department in rules.departments:
        return _ok("departments", f"habite le département {p.department}, desservi par {o.programme} ({where})")
    served = "le département" if len(rules.departments) == 1 else "les départements"
    reason = f"habite le département {p.department} ; {o.programme} ne dessert que {served} {where}"
    # Moving is the person's choice: a remedy only when what they said does not rule it out.
    if p.mobility is None:
        return _no("departments", reason, f"éligible si la personne accepte de s'installer dans {served} {where}")
    if p.mobility is Mobility.NATIONAL or (
        p.mobility is Mobility.REGION and any(region_of(d) == region_of(p.department) for d in rules.departments)
    ):
        return _no("departments", reason, f"éligible en s'installant dans {served} {where}, si la personne le décide")
    return _no("departments", reason)


def _area(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.area is None:
        return None
    where = ", ".join(rules.area)
    if p.department in rules.area:
        return _ok("area", f"habite le département {p.department}, dans la zone de {o.programme} ({where})")
    if p.mobility is None:
        return _unknown(
            "area",
            f"habite le département {p.department}, hors de la zone de {o.programme} ({where})",
            "éligible si la personne accepte de déménager partout en France",
        )
    if p.mobility is Mobility.NATIONAL:
        return _ok(
            "area", f"habite hors de la zone de {o.programme} ({where}) mais accepte de déménager partout en France"
        )
    return _no(
        "area",
        f"habite le département {p.department}, hors de la zone de {o.programme} ({where}), "
        f"et ne souhaite pas déménager aussi loin",
        "éligible si la personne accepte de déménager partout en France",
    )


def _protection(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.protection_statuses is None:
        return None
    allowed = ", ".join(_status(s.value) for s in rules.protection_statuses)
    if p.protection_status is None:
        return _unknown(
            "protection_statuses",
            f"statut de protection non enregistré ; {o.programme} s'adresse à : {allowed}",
            "à décider une fois le statut de protection enregistré",
        )
    if p.protection_status in rules.protection_statuses:
        return _ok("protection_statuses", f"statut « {_status(p.protection_status.value)} » admis par {o.programme}")
    return _no(
        "protection_statuses",
        f"statut « {_status(p.protection_status.value)} » : {o.programme} s'adresse à : {allowed}",
    )


def _rsa(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if not rules.rsa_applicant_required:
        return None
    if p.rsa_applicant is None:
        return _unknown(
            "rsa_applicant_required",
            f"demande de RSA non enregistrée ; {o.programme} s'adresse aux nouveaux demandeurs du RSA",
            "éligible dès qu'une demande de RSA est enregistrée",
        )
    if p.rsa_applicant:
        return _ok("rsa_applicant_required", f"nouveau demandeur du RSA, comme {o.programme} le demande")
    return _no(
        "rsa_applicant_required",
        f"{o.programme} s'adresse aux seuls nouveaux demandeurs du RSA",
        "éligible une fois une demande de RSA déposée, si la personne y a droit",
    )


def _mobility(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.mobility_required is None:
        return None
    need = rules.mobility_required.value
    if p.mobility is None:
        return _unknown(
            "mobility_required",
            f"mobilité non renseignée ; {o.programme} demande : {_moving(need)}",
            "à décider une fois la mobilité renseignée",
        )
    if _MOBILITY_ORDER.index(p.mobility) >= _MOBILITY_ORDER.index(rules.mobility_required):
        return _ok(
            "mobility_required", f"mobilité ({_moving(p.mobility.value)}) conforme à ce que demande {o.programme}"
        )
    return _no(
        "mobility_required",
        f"{o.programme} demande : {_moving(need)} ; mobilité déclarée : {_moving(p.mobility.value)}",
        f"éligible si la personne accepte {_ACCEPTS[need]}",
    )


def _return_country(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.return_countries is None:
        return None
    where = ", ".join(_country(c) for c in rules.return_countries)
    if p.return_country is None:
        return _no("return_countries", f"{o.programme} accompagne le retour vers {where} ; aucun retour demandé")
    if p.return_country in rules.return_countries:
        return _ok("return_countries", f"retour vers {_country(p.return_country)} accompagné par {o.programme}")
    return _no(
        "return_countries", f"retour vers {_country(p.return_country)} non accompagné par {o.programme} ({where})"
    )


RULES: tuple[Rule, ...] = (
    _min_age,
    _max_age,
    _min_french,
    _max_french,
    _max_diploma,
    _departments,
    _area,
    _protection,
    _rsa,
    _mobility,
    _return_country,
)


def decide(profile: BeneficiaryProfile, opening: ProgrammeOpening) -> EligibilityDecision:
    """Apply every rule the opening declares; an absent key means no restriction."""
    results = (rule(opening.eligibility, profile, opening) for rule in RULES)
    return EligibilityDecision(opening.opening_id, tuple(r for r in results if r is not None))


_TERRITORIES = Locale("fr").territories
_CEFR = {"none": "aucune notion"}
_STATUS = {"refugee": "réfugié", "subsidiary": "protection subsidiaire", "other": "autre titre"}
_MOBILITY = {"none": "pas de déménagement", "region": "mobilité dans la région", "national": "mobilité nationale"}
_ACCEPTS = {
    "none": "de rester où elle est",
    "region": "de déménager dans sa région",
    "national": "de déménager partout en France",
}


def _d(day: date) -> str:
    """'4 janvier 2027'."""
    return str(format_date(day, format="long", locale="fr_FR"))


def _cefr(level: str) -> str:
    return _CEFR.get(level, level)


def _status(status: str) -> str:
    return _STATUS.get(status, status)


def _country(code: str) -> str:
    """'ML' → 'le Mali' would need articles; the name alone reads well: 'ML' → 'Mali'."""
    return str(_TERRITORIES.get(code, code))


def _moving(mobility: str) -> str:
    return _MOBILITY.get(mobility, mobility)


def _ok(rule: str, reason: str) -> RuleResult:
    return RuleResult(rule, Outcome.PASS, reason)


def _no(rule: str, reason: str, remedy: str | None = None) -> RuleResult:
    return RuleResult(rule, Outcome.FAIL, reason + (f"; {remedy}" if remedy else ""), remedy)


def _unknown(rule: str, reason: str, remedy: str) -> RuleResult:
    return RuleResult(rule, Outcome.UNKNOWN, f"{reason}; {remedy}", remedy)
