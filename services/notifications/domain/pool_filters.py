"""Does a new referral's candidate fit a partner's subscription?"""

from __future__ import annotations

from shared.contract.events import PoolFilters, ReferralEvent


def fits(filters: PoolFilters, event: ReferralEvent) -> bool:
    candidate = event.candidate
    if filters.programmes is not None and event.programme not in filters.programmes:
        return False
    if filters.departments is not None and candidate.department not in filters.departments:
        return False
    if filters.min_french is not None and (
        candidate.french_level is None or candidate.french_level.rank < filters.min_french.rank
    ):
        return False
    if filters.occupations is not None and not set(filters.occupations) & set(candidate.occupations):
        return False
    if filters.skills is not None and not {s.lower() for s in filters.skills} & {s.lower() for s in candidate.skills}:
        return False
    return filters.age_bands is None or candidate.age_band in filters.age_bands
