"""Eligibility as data: each key of an opening's `eligibility` is a rule that answers pass, fail or
unknown (the profile lacks the fact), always with a plain-language reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from shared.age import age_on
from shared.events import BeneficiaryProfile, Eligibility, ProgrammeOpening
from shared.vocabulary import Mobility

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
        return [r.remedy for r in self.results if r.outcome is not Outcome.PASS and r.remedy]


Rule = Callable[[Eligibility, BeneficiaryProfile, ProgrammeOpening], RuleResult | None]


def _min_age(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.min_age is None:
        return None
    age = age_on(p.birth_date, o.starts_on)
    if age >= rules.min_age:
        return _ok(
            "min_age", f"age {age} at the start date {o.starts_on} meets {o.programme}'s minimum of {rules.min_age}"
        )
    return _no(
        "min_age", f"age {age} is below {o.programme}'s minimum of {rules.min_age} at the start date {o.starts_on}"
    )


def _max_age(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.max_age is None:
        return None
    age = age_on(p.birth_date, o.starts_on)
    if age <= rules.max_age:
        return _ok(
            "max_age", f"age {age} at the start date {o.starts_on} is within {o.programme}'s maximum of {rules.max_age}"
        )
    return _no(
        "max_age", f"age {age} is above {o.programme}'s maximum of {rules.max_age} at the start date {o.starts_on}"
    )


def _min_french(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.min_french is None:
        return None
    need = rules.min_french.value
    if p.french_level is None:
        return _unknown(
            "min_french",
            f"French level not assessed; {o.programme} asks for {need}",
            f"eligible once a French level of {need} or more is recorded",
        )
    if p.french_level.rank >= rules.min_french.rank:
        return _ok("min_french", f"French {p.french_level.value} meets {o.programme}'s minimum of {need}")
    return _no(
        "min_french",
        f"French {p.french_level.value} is below {o.programme}'s minimum of {need}",
        f"eligible once French {need} is certified",
    )


def _max_french(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.max_french is None:
        return None
    top = rules.max_french.value
    if p.french_level is None:
        return _unknown(
            "max_french",
            f"French level not assessed; {o.programme} is for levels up to {top}",
            "decidable once the French level is recorded",
        )
    if p.french_level.rank <= rules.max_french.rank:
        return _ok("max_french", f"French {p.french_level.value} is within {o.programme}'s range (up to {top})")
    return _no("max_french", f"French {p.french_level.value} is above {o.programme}'s range (up to {top})")


def _max_diploma(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.max_diploma_level is None:
        return None
    limit = "no diploma" if rules.max_diploma_level == 0 else f"EQF level {rules.max_diploma_level} at most"
    if p.diploma_level is None:
        return _unknown(
            "max_diploma_level",
            f"diploma level not recorded; {o.programme} admits {limit}",
            "decidable once the diploma level is recorded",
        )
    if p.diploma_level <= rules.max_diploma_level:
        return _ok("max_diploma_level", f"diploma level {p.diploma_level} fits {o.programme}'s rule ({limit})")
    return _no("max_diploma_level", f"diploma level {p.diploma_level} is above {o.programme}'s rule ({limit})")


def _departments(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.departments is None:
        return None
    where = ", ".join(rules.departments)
    if p.department in rules.departments:
        return _ok("departments", f"lives in département {p.department}, served by {o.programme} ({where})")
    return _no("departments", f"lives in département {p.department}; {o.programme} serves only {where}")


def _area(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.area is None:
        return None
    where = ", ".join(rules.area)
    if p.department in rules.area:
        return _ok("area", f"lives in département {p.department}, within {o.programme}'s area ({where})")
    if p.mobility is None:
        return _unknown(
            "area",
            f"lives in département {p.department}, outside {o.programme}'s area ({where})",
            "eligible if willing to move nationally",
        )
    if p.mobility is Mobility.NATIONAL:
        return _ok("area", f"lives outside {o.programme}'s area ({where}) but is willing to move nationally")
    return _no(
        "area",
        f"lives in département {p.department}, outside {o.programme}'s area ({where}), "
        f"and is not willing to move that far",
    )


def _protection(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.protection_statuses is None:
        return None
    allowed = ", ".join(s.value for s in rules.protection_statuses)
    if p.protection_status is None:
        return _unknown(
            "protection_statuses",
            f"protection status not recorded; {o.programme} is for {allowed}",
            "decidable once the protection status is recorded",
        )
    if p.protection_status in rules.protection_statuses:
        return _ok(
            "protection_statuses", f"protection status '{p.protection_status.value}' is admitted by {o.programme}"
        )
    return _no(
        "protection_statuses",
        f"protection status '{p.protection_status.value}' is not among {o.programme}'s ({allowed})",
    )


def _rsa(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if not rules.rsa_applicant_required:
        return None
    if p.rsa_applicant is None:
        return _unknown(
            "rsa_applicant_required",
            f"RSA application not recorded; {o.programme} is for new RSA applicants",
            "eligible once a new RSA application is recorded",
        )
    if p.rsa_applicant:
        return _ok("rsa_applicant_required", f"new RSA applicant, as {o.programme} requires")
    return _no("rsa_applicant_required", f"{o.programme} is for new RSA applicants only")


def _mobility(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.mobility_required is None:
        return None
    need = rules.mobility_required.value
    if p.mobility is None:
        return _unknown(
            "mobility_required",
            f"willingness to move not asked; {o.programme} requires '{need}'",
            "decidable once willingness to move is recorded",
        )
    if _MOBILITY_ORDER.index(p.mobility) >= _MOBILITY_ORDER.index(rules.mobility_required):
        return _ok("mobility_required", f"willing to move ({p.mobility.value}), as {o.programme} requires")
    return _no(
        "mobility_required",
        f"{o.programme} requires willingness to move ('{need}'); stated mobility is '{p.mobility.value}'",
    )


def _return_country(rules: Eligibility, p: BeneficiaryProfile, o: ProgrammeOpening) -> RuleResult | None:
    if rules.return_countries is None:
        return None
    where = ", ".join(rules.return_countries)
    if p.return_country is None:
        return _no("return_countries", f"{o.programme} is for people returning to {where}; no return requested")
    if p.return_country in rules.return_countries:
        return _ok("return_countries", f"return to {p.return_country} is served by {o.programme}")
    return _no("return_countries", f"return to {p.return_country} is not served by {o.programme} ({where})")


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


def _ok(rule: str, reason: str) -> RuleResult:
    return RuleResult(rule, Outcome.PASS, reason)


def _no(rule: str, reason: str, remedy: str | None = None) -> RuleResult:
    return RuleResult(rule, Outcome.FAIL, reason + (f"; {remedy}" if remedy else ""), remedy)


def _unknown(rule: str, reason: str, remedy: str) -> RuleResult:
    return RuleResult(rule, Outcome.UNKNOWN, f"{reason}; {remedy}", remedy)
