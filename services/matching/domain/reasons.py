"""A proposal's top reasons, in words, from what weighed most in its predicted success.

Each of a model's columns is explained by one of its signals (the first in `EXPLAINED_BY`: a product of
French and housing offered speaks of French); the columns' contributions against the model's reference
are summed per signal, and the signals that raised the estimate most are put in words."""

from __future__ import annotations

import functools

import numpy as np

from services.matching.domain.features import SIGNALS
from services.matching.domain.model_columns import Column
from services.matching.domain.success_model import SuccessModel
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening
from shared.contract.events.bounded import MATCHER_REASON_CHARS
from shared.contract.events.bounded import MAX_REASONS as MAX_REASONS_IN_EVENT
from shared.contract.events.proposal import SUCCESS_ESTIMATE
from shared.contract.legal_delays import legal_deadline

MAX_REASONS = 3
PROGRAMME = "programme"  # a programme's own effect, learned from its past outcomes
EXPLAINED_BY = (
    "occupation_exact",
    "occupation_similarity",
    "housing_met",
    "french_margin",
    "french_level",
    "same_department",
    "same_region",
    "general_programme",
    "diploma_level",
    "relocation",
    "housing_unmet",
    "offers_housing",
    "experienced",
    "needs_housing",
    "mobility_national",
    "mobility_region",
    "min_french",
)
assert sorted(EXPLAINED_BY) == sorted(SIGNALS)


@functools.lru_cache(maxsize=8)
def told_by(columns: tuple[Column, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """The signals a model's columns are told as, and per column the position of its own among them."""
    names = tuple(dict.fromkeys(explained_by(c) for c in columns))
    return names, np.array([names.index(explained_by(c)) for c in columns], dtype=np.int64)


# Told together: the trade practised is the closest occupational fit; housing offered matters to someone
# who needs it (housing_met), and French above the bar says the level too.
TOLD_AS = {"occupation_exact": "occupation_similarity", "offers_housing": "housing_met"}


def explained_by(column: Column) -> str:
    """The signal a column's contribution is told as (a programme's own effect: PROGRAMME)."""
    if not column.signals:
        return PROGRAMME
    first = min(column.signals, key=EXPLAINED_BY.index)
    return TOLD_AS.get(first, first)


def _source(source: str) -> str:
    return "appris des résultats passés" if source.startswith("learned") else "estimation a priori"


def _phrase(name: str, value: float, profile: BeneficiaryProfile, opening: ProgrammeOpening) -> str | None:
    if name == "occupation_similarity" and value > 0:
        shared = sorted(set(profile.occupations) & set(opening.target_occupations))
        if len(shared) == 1:
            return f"métier exercé ({shared[0]}) parmi ceux que prépare {opening.programme}"
        if shared:
            return f"métiers exercés ({', '.join(shared)}) parmi ceux que prépare {opening.programme}"
        return f"métiers et compétences proches de ceux que prépare {opening.programme} ({value:.2f})"
    if name == "french_margin" and value > 0 and opening.eligibility.min_french and profile.french_level:
        return f"français {profile.french_level.value}, au-dessus du {opening.eligibility.min_french.value} demandé"
    if name == "french_level" and value > 0 and profile.french_level:
        return f"français {profile.french_level.value}"
    if name == "same_department" and value > 0:
        return f"se déroule dans son département ({opening.department})"
    if name == "same_region" and value > 0:
        return f"se déroule dans sa région (département {opening.department})"
    if name == "housing_met" and value > 0:
        return "cherche un hébergement, et le programme en propose un"
    if name == "general_programme" and value > 0:
        return f"{opening.programme} est ouvert à tous les métiers"
    if name == "diploma_level" and value > 0:
        return f"diplôme de niveau {profile.diploma_level} (cadre européen)"
    if name == "experienced" and value > 0:
        return "une expérience professionnelle déjà acquise"
    if name == PROGRAMME:
        return f"les personnes orientées vers {opening.programme} y ont souvent réussi (résultats passés)"
    return None


def top_reasons(
    features: np.ndarray,
    signals: np.ndarray,
    model: SuccessModel,
    profile: BeneficiaryProfile,
    opening: ProgrammeOpening,
    probability: float,
) -> list[str]:
    """'predicted success 72 %' followed by the features that pushed it up most, in words."""
    reasons = [f"{SUCCESS_ESTIMATE}{round(probability * 100)} % ({_source(model.source)})"]
    deadline = legal_deadline(profile.rsa_applied_on, opening.eligibility.rsa_applicant_required)
    if deadline is not None:
        rule = deadline.rule.split(" / ")[0]  # the French part: the matcher's reasons are in French
        reasons.append(f"à orienter avant le {deadline.due_on:%d/%m/%Y} ({rule}) : prioritaire à l'approche")
    names, told_as = told_by(model.columns)
    totals = np.bincount(told_as, weights=model.contributions(features), minlength=len(names))
    value = dict(zip(SIGNALS, signals.tolist(), strict=True)) | {PROGRAMME: 1.0}
    told: set[str] = set()
    for k in np.argsort(-totals, kind="stable").tolist():
        name, contribution = names[k], float(totals[k])
        if contribution <= 1e-9 or len(reasons) > MAX_REASONS + (deadline is not None):
            break
        if name == "same_region" and value["same_department"] > 0:
            continue
        if name == "french_level" and "french_margin" in told:
            continue  # the level was said with the margin above the bar
        phrase = _phrase(name, float(value[name]), profile, opening)
        if phrase:
            reasons.append(phrase)
            told.add(name)
    if value["relocation"] > 0:
        reasons.append(f"suppose de déménager dans le département {opening.department}, comme la personne l'accepte")
    return [reason[:MATCHER_REASON_CHARS] for reason in reasons[:MAX_REASONS_IN_EVENT]]
