"""A proposal's top reasons, in words, from the features that weighed most in its predicted success."""

from __future__ import annotations

import numpy as np

from services.matching.domain.features import FEATURES
from services.matching.domain.success_model import SuccessModel
from shared.events import BeneficiaryProfile, ProgrammeOpening
from shared.events.bounded import MATCHER_REASON_CHARS
from shared.events.bounded import MAX_REASONS as MAX_REASONS_IN_EVENT
from shared.legal_delays import legal_deadline

MAX_REASONS = 3


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
    return None


def top_reasons(
    features: np.ndarray,
    model: SuccessModel,
    profile: BeneficiaryProfile,
    opening: ProgrammeOpening,
    probability: float,
) -> list[str]:
    """'predicted success 72 %' followed by the features that pushed it up most, in words."""
    reasons = [f"réussite estimée à {round(probability * 100)} % ({_source(model.source)})"]
    deadline = legal_deadline(profile.rsa_applied_on, opening.eligibility.rsa_applicant_required)
    if deadline is not None:
        rule = deadline.rule.split(" / ")[0]  # the French part: the matcher's reasons are in French
        reasons.append(f"à orienter avant le {deadline.due_on:%d/%m/%Y} ({rule}) : prioritaire à l'approche")
    contributions = sorted(model.contributions(features).items(), key=lambda item: -item[1])
    same_department = features[FEATURES.index("same_department")] > 0
    for name, contribution in contributions:
        if contribution <= 0 or len(reasons) > MAX_REASONS + (deadline is not None):
            break
        if name == "same_region" and same_department:
            continue
        phrase = _phrase(name, float(features[FEATURES.index(name)]), profile, opening)
        if phrase:
            reasons.append(phrase)
    if features[FEATURES.index("relocation")] > 0:
        reasons.append(f"suppose de déménager dans le département {opening.department}, comme la personne l'accepte")
    return [reason[:MATCHER_REASON_CHARS] for reason in reasons[:MAX_REASONS_IN_EVENT]]
