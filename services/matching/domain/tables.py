"""Profiles and openings as column arrays, so eligibility and features are computed for many pairs at once.

Codes: -1 always means "not recorded". The vectorised rules here must agree with `eligibility.decide`
(a property test checks that they do); `decide` stays the one that explains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.matching.domain.geography import COMMUTING_REGIONS, DEPARTMENTS, region_of
from services.matching.domain.occupations import occupation_tokens
from shared.contract.events import BeneficiaryProfile, ProgrammeOpening
from shared.contract.vocabulary import FrenchLevel, Housing, Mobility, ProtectionStatus

DEPT_INDEX = {d: i for i, d in enumerate(DEPARTMENTS)}
UNKNOWN_DEPT = len(DEPARTMENTS)  # an extra, always-false column for départements outside the table
REGIONS = sorted({region_of(d) for d in DEPARTMENTS})
REGION_INDEX = {r: i for i, r in enumerate(REGIONS)}
COMMUTING = np.array([r in COMMUTING_REGIONS for r in REGIONS] + [False])  # last: unknown region (-1)
MOBILITY_CODE = {Mobility.NONE: 0, Mobility.REGION: 1, Mobility.NATIONAL: 2}
PROTECTION_CODE = {ProtectionStatus.REFUGEE: 0, ProtectionStatus.SUBSIDIARY: 1, ProtectionStatus.OTHER: 2}
NEEDS_HOUSING = {Housing.NONE, Housing.CPH, Housing.CADA}


def _code(value: object, table: dict) -> int:  # type: ignore[type-arg]
    return -1 if value is None else int(table[value])


def _french(level: FrenchLevel | None) -> int:
    return -1 if level is None else level.rank


@dataclass
class ProfileTable:
    ids: list[str]
    dept: np.ndarray
    region: np.ndarray
    mobility: np.ndarray
    french: np.ndarray
    diploma: np.ndarray
    needs_housing: np.ndarray
    rsa: np.ndarray
    rsa_day: np.ndarray  # ordinal of the RSA application date, -1 when none
    protection: np.ndarray
    return_country: list[str | None]
    household: list[str | None]
    birth_year: np.ndarray
    birth_md: np.ndarray
    tokens: list[list[str]]
    experienced: np.ndarray  # past occupations or skills recorded

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, profiles: Sequence[BeneficiaryProfile]) -> ProfileTable:
        dept = np.array([DEPT_INDEX.get(p.department, UNKNOWN_DEPT) for p in profiles], dtype=np.int32)
        return cls(
            ids=[p.beneficiary_id for p in profiles],
            dept=dept,
            region=np.array([REGION_INDEX.get(region_of(p.department), -1) for p in profiles], dtype=np.int32),
            mobility=np.array([_code(p.mobility, MOBILITY_CODE) for p in profiles], dtype=np.int8),
            french=np.array([_french(p.french_level) for p in profiles], dtype=np.int8),
            diploma=np.array([-1 if p.diploma_level is None else p.diploma_level for p in profiles], dtype=np.int8),
            needs_housing=np.array(
                [-1 if p.housing is None else int(p.housing in NEEDS_HOUSING) for p in profiles], dtype=np.int8
            ),
            rsa=np.array([-1 if p.rsa_applicant is None else int(p.rsa_applicant) for p in profiles], dtype=np.int8),
            rsa_day=np.array(
                [-1 if p.rsa_applied_on is None else p.rsa_applied_on.toordinal() for p in profiles], dtype=np.int64
            ),
            protection=np.array([_code(p.protection_status, PROTECTION_CODE) for p in profiles], dtype=np.int8),
            return_country=[p.return_country for p in profiles],
            household=[p.household_id for p in profiles],
            birth_year=np.array([p.birth_date.year for p in profiles], dtype=np.int32),
            birth_md=np.array([p.birth_date.month * 100 + p.birth_date.day for p in profiles], dtype=np.int32),
            tokens=[occupation_tokens(p.occupations, p.skills) for p in profiles],
            experienced=np.array([bool(p.occupations or p.skills) for p in profiles]),
        )


def _dept_mask(lists: Sequence[list[str] | None]) -> tuple[np.ndarray, np.ndarray]:
    has = np.array([lst is not None for lst in lists])
    mask = np.zeros((len(lists), UNKNOWN_DEPT + 1), dtype=bool)
    for row, lst in enumerate(lists):
        for dept in lst or ():
            if dept in DEPT_INDEX:
                mask[row, DEPT_INDEX[dept]] = True
    return has, mask


@dataclass
class OpeningTable:
    openings: list[ProgrammeOpening]
    dept: np.ndarray
    region: np.ndarray
    start_year: np.ndarray
    start_md: np.ndarray
    seats: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray
    min_french: np.ndarray
    max_french: np.ndarray
    max_diploma: np.ndarray
    has_departments: np.ndarray
    departments: np.ndarray
    has_area: np.ndarray
    area: np.ndarray
    protection_mask: np.ndarray
    rsa_required: np.ndarray
    mobility_required: np.ndarray
    return_countries: list[frozenset[str] | None]
    offers_housing: np.ndarray
    has_targets: np.ndarray
    tokens: list[list[str]]

    def __len__(self) -> int:
        return len(self.openings)

    @classmethod
    def build(cls, openings: Sequence[ProgrammeOpening]) -> OpeningTable:
        rules = [o.eligibility for o in openings]

        def opt(values: list[int | None]) -> np.ndarray:
            return np.array([-1 if v is None else v for v in values], dtype=np.int32)

        has_departments, departments = _dept_mask([r.departments for r in rules])
        has_area, area = _dept_mask([r.area for r in rules])
        return cls(
            openings=list(openings),
            dept=np.array([DEPT_INDEX.get(o.department, UNKNOWN_DEPT) for o in openings], dtype=np.int32),
            region=np.array([REGION_INDEX.get(region_of(o.department), -1) for o in openings], dtype=np.int32),
            start_year=np.array([o.starts_on.year for o in openings], dtype=np.int32),
            start_md=np.array([o.starts_on.month * 100 + o.starts_on.day for o in openings], dtype=np.int32),
            seats=np.array([o.seats for o in openings], dtype=np.int64),
            min_age=opt([r.min_age for r in rules]),
            max_age=opt([r.max_age for r in rules]),
            min_french=opt([None if r.min_french is None else r.min_french.rank for r in rules]),
            max_french=opt([None if r.max_french is None else r.max_french.rank for r in rules]),
            max_diploma=opt([r.max_diploma_level for r in rules]),
            has_departments=has_departments,
            departments=departments,
            has_area=has_area,
            area=area,
            protection_mask=np.array(
                [sum(1 << PROTECTION_CODE[s] for s in r.protection_statuses or ()) for r in rules], dtype=np.int32
            ),
            rsa_required=np.array([r.rsa_applicant_required for r in rules]),
            mobility_required=opt(
                [None if r.mobility_required is None else MOBILITY_CODE[r.mobility_required] for r in rules]
            ),
            return_countries=[None if r.return_countries is None else frozenset(r.return_countries) for r in rules],
            offers_housing=np.array([o.offers_housing for o in openings]),
            has_targets=np.array([bool(o.target_occupations or o.target_skills) for o in openings]),
            tokens=[occupation_tokens(o.target_occupations, o.target_skills) for o in openings],
        )


def eligible_pairs(p: ProfileTable, pi: np.ndarray, o: OpeningTable, oj: np.ndarray) -> np.ndarray:
    """Boolean (len(pi), len(oj)): every rule of `eligibility.decide` passes (unknown counts as no)."""
    age = o.start_year[oj][None, :] - p.birth_year[pi][:, None] - (o.start_md[oj][None, :] < p.birth_md[pi][:, None])
    french = p.french[pi][:, None].astype(np.int32)
    diploma = p.diploma[pi][:, None].astype(np.int32)
    mobility = p.mobility[pi][:, None].astype(np.int32)
    ok = (o.min_age[oj] < 0) | (age >= o.min_age[oj])
    ok &= (o.max_age[oj] < 0) | (age <= o.max_age[oj])
    ok &= (o.min_french[oj] < 0) | ((french >= 0) & (french >= o.min_french[oj]))
    ok &= (o.max_french[oj] < 0) | ((french >= 0) & (french <= o.max_french[oj]))
    ok &= (o.max_diploma[oj] < 0) | ((diploma >= 0) & (diploma <= o.max_diploma[oj]))
    home = p.dept[pi][:, None]
    places = oj[None, :]
    ok &= ~o.has_departments[oj] | o.departments[places, home]
    ok &= ~o.has_area[oj] | o.area[places, home] | (mobility == 2)
    protection = p.protection[pi][:, None].astype(np.int32)
    allowed = (o.protection_mask[oj][None, :] >> np.maximum(protection, 0)) & 1
    ok &= (o.protection_mask[oj] == 0) | ((protection >= 0) & (allowed == 1))
    ok &= ~o.rsa_required[oj] | (p.rsa[pi][:, None] == 1)
    ok &= (o.mobility_required[oj] < 0) | ((mobility >= 0) & (mobility >= o.mobility_required[oj]))
    for col, j in enumerate(oj):
        countries = o.return_countries[j]
        if countries is not None:
            ok[:, col] &= np.array([p.return_country[i] in countries for i in pi], dtype=bool)
    return ok


def reachable_pairs(p: ProfileTable, pi: np.ndarray, o: OpeningTable, oj: np.ndarray) -> np.ndarray:
    """Boolean (len(pi), len(oj)): would the newcomer take up a place there, given where they live and move."""
    mobility = p.mobility[pi][:, None]
    same_dept = p.dept[pi][:, None] == o.dept[oj][None, :]
    same_region = (p.region[pi][:, None] == o.region[oj][None, :]) & (p.region[pi][:, None] >= 0)
    commuting = COMMUTING[p.region[pi]][:, None] & same_region
    return same_dept | commuting | (mobility == 2) | ((mobility == 1) & same_region)
