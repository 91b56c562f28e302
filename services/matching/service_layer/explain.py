"""Every opening, for one profile: eligible ones ranked with their score, the others with why not."""

from __future__ import annotations

from dataclasses import dataclass

from services.matching.domain.eligibility import RULESET_VERSION, decide
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.geography import reachable
from services.matching.domain.success_model import SuccessModel
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening


@dataclass(frozen=True)
class OpeningVerdict:
    opening_id: str
    programme: str
    partner_id: str
    eligible: bool
    near_eligible: bool
    score: float | None
    reasons: list[str]
    remedies: list[str]
    ruleset_version: str = RULESET_VERSION


def explain_openings(
    profile: BeneficiaryProfile, openings: list[ProgrammeOpening], model: SuccessModel | None = None
) -> list[OpeningVerdict]:
    """Eligible openings first (best score first, by `model`: the prior when none), then near-eligible
    ones, then the rest."""
    verdicts = []
    engine = MatchingEngine(openings, model)
    decisions = {o.opening_id: decide(profile, o) for o in openings}
    scored = engine.score_openings(profile, [i for i, d in decisions.items() if d.eligible])
    for opening in openings:
        decision = decisions[opening.opening_id]
        if decision.eligible:
            candidate = scored[opening.opening_id]
            score: float | None = round(candidate.probability, 4)
            reasons = engine.reasons(profile, candidate) + decision.reasons
            if not reachable(profile.department, profile.mobility, opening.department):
                reasons.append(
                    f"runs in département {opening.department}, beyond the stated mobility "
                    f"('{profile.mobility.value if profile.mobility else 'not recorded'}'): not proposed automatically"
                )
        else:
            score, reasons = None, decision.failures
        verdicts.append(
            OpeningVerdict(
                opening_id=opening.opening_id,
                programme=opening.programme,
                partner_id=opening.partner_id,
                eligible=decision.eligible,
                near_eligible=decision.near_eligible,
                score=score,
                reasons=reasons,
                remedies=decision.remedies,
                ruleset_version=decision.ruleset_version,
            )
        )
    verdicts.sort(key=lambda v: (not v.eligible, not v.near_eligible, -(v.score or 0.0), v.opening_id))
    return verdicts
