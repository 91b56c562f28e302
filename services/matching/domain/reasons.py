"""A proposal's top reasons, in words, from the features that weighed most in its predicted success."""

from __future__ import annotations

import numpy as np

from services.matching.domain.features import FEATURES
from services.matching.domain.success_model import SuccessModel
from shared.events import BeneficiaryProfile, ProgrammeOpening
from shared.events.bounded import MATCHER_REASON_CHARS
from shared.events.bounded import MAX_REASONS as MAX_REASONS_IN_EVENT

MAX_REASONS = 3


def _phrase(name: str, value: float, profile: BeneficiaryProfile, opening: ProgrammeOpening) -> str | None:
    if name == "occupation_similarity" and value > 0:
        shared = sorted(set(profile.occupations) & set(opening.target_occupations))
        if len(shared) == 1:
            return f"past occupation {shared[0]} is one {opening.programme} trains for"
        if shared:
            return f"past occupations {', '.join(shared)} are among {opening.programme}'s target trades"
        return f"past occupations and skills close to {opening.programme}'s target trades ({value:.2f})"
    if name == "french_margin" and value > 0 and opening.eligibility.min_french and profile.french_level:
        return f"French {profile.french_level.value} is above the {opening.eligibility.min_french.value} required"
    if name == "french_level" and value > 0 and profile.french_level:
        return f"French {profile.french_level.value}"
    if name == "same_department" and value > 0:
        return f"runs in their own département ({opening.department})"
    if name == "same_region" and value > 0:
        return f"runs in their region (département {opening.department})"
    if name == "housing_met" and value > 0:
        return "needs housing, and the programme offers accommodation"
    if name == "general_programme" and value > 0:
        return f"{opening.programme} is open to every trade"
    if name == "diploma_level" and value > 0:
        return f"diploma at EQF level {profile.diploma_level}"
    return None


def top_reasons(
    features: np.ndarray,
    model: SuccessModel,
    profile: BeneficiaryProfile,
    opening: ProgrammeOpening,
    probability: float,
) -> list[str]:
    """'predicted success 72 %' followed by the features that pushed it up most, in words."""
    reasons = [f"predicted success {probability:.0%} ({model.source})"]
    contributions = sorted(model.contributions(features).items(), key=lambda item: -item[1])
    same_department = features[FEATURES.index("same_department")] > 0
    for name, contribution in contributions:
        if contribution <= 0 or len(reasons) > MAX_REASONS:
            break
        if name == "same_region" and same_department:
            continue
        phrase = _phrase(name, float(features[FEATURES.index(name)]), profile, opening)
        if phrase:
            reasons.append(phrase)
    if features[FEATURES.index("relocation")] > 0:
        reasons.append(f"means moving to département {opening.department}, as they said they would")
    return [reason[:MATCHER_REASON_CHARS] for reason in reasons[:MAX_REASONS_IN_EVENT]]
