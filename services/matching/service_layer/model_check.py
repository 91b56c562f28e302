"""Whether a success model can be used: before matching adopts a version, it scores a canned set of
newcomers and openings with it on every path that reads a model — a real-time proposal and its reasons,
the batch solve with its reasons, a window's close, the explanation of every opening — and checks that
every probability is a probability. A model that fails is never adopted (`projections.keep_model`)."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import numpy as np

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.success_model import SuccessModel
from services.matching.service_layer.explain import explain_openings
from shared.contract.events import BeneficiaryProfile, Eligibility, ProgrammeOpening, SuccessModelTrained

TODAY = date(2027, 1, 4)


class UnusableModel(ValueError):
    """A model that cannot score on some path; the message says which and why (French first)."""


def _openings(programmes: tuple[str, ...]) -> list[ProgrammeOpening]:
    """Openings of every programme the model has columns for, and of one it has none for, with the rules
    and offers that switch each kind of column on and off."""
    kinds = [
        ({"min_french": "A2", "max_age": 25, "max_diploma_level": 0}, [], True, "67"),
        ({"min_age": 18, "protection_statuses": ["refugee", "subsidiary"]}, ["F1703", "H2913"], False, "67"),
        ({"min_age": 16, "departments": ["75"], "min_french": "A1"}, ["G1602"], True, "75"),
        ({"mobility_required": "national"}, ["N1103"], False, "13"),
        ({"max_french": "A1"}, [], False, "67"),
    ]
    openings = []
    for k, programme in enumerate((*programmes, "Programme sans historique")):
        rules, targets, housing, department = kinds[k % len(kinds)]
        openings.append(
            ProgrammeOpening(
                opening_id=f"controle-{k:03d}", programme=programme, partner_id="controle",
                department=department, starts_on=TODAY + timedelta(days=30 + k), seats=2,
                eligibility=Eligibility.model_validate(rules), target_occupations=targets, offers_housing=housing,
            )
        )  # fmt: skip
    return openings


SIGNED = {"consent_to_share": True, "cir_signed_on": "2026-12-01"}
PEOPLE = tuple(
    SIGNED | fields
    for fields in (
        {"beneficiary_id": "controle-a", "birth_date": "2004-05-01", "french_level": "A2", "diploma_level": 0,
         "department": "67", "mobility": "region", "housing": "cph", "protection_status": "subsidiary"},
        {"beneficiary_id": "controle-b", "birth_date": "1981-03-12", "french_level": "B1", "diploma_level": 4,
         "occupations": ["F1703", "G1602"], "skills": ["maçonnerie"], "department": "75", "mobility": "national",
         "housing": "none", "protection_status": "refugee", "rsa_applicant": True, "rsa_applied_on": "2026-12-20"},
        {"beneficiary_id": "controle-c", "birth_date": "1995-09-30", "french_level": "none", "diploma_level": 2,
         "occupations": ["N1103"], "department": "67", "mobility": "none", "housing": "private",
         "protection_status": "refugee", "household_id": "foyer-1"},
        {"beneficiary_id": "controle-d", "birth_date": "1990-01-15", "french_level": "A1",
         "department": "13", "mobility": "national", "housing": "cada", "protection_status": "refugee",
         "household_id": "foyer-1", "preferences": {"programmes": ["Programme sans historique"]}},
        {"beneficiary_id": "controle-e", "birth_date": "1988-07-07", "department": "75", "protection_status": "other"},
    )
)  # fmt: skip


@functools.cache
def _people() -> list[BeneficiaryProfile]:
    """Newcomers of every kind the columns tell apart: young and older, French from none to B1, housed or
    not, staying or moving, with an RSA deadline, a household, a preference, and one with nothing recorded."""
    return [BeneficiaryProfile.model_validate(fields) for fields in PEOPLE]


def check_model(model: SuccessModel) -> None:
    """Raise UnusableModel when `model` fails on a path or gives something that is not a probability."""
    numbers = [model.weights, [model.intercept], model.sigmoid_ab or (), model.isotonic_x, model.isotonic_y]
    numbers.append(model.reference)
    if not all(np.isfinite(np.asarray(n, dtype=np.float64)).all() for n in numbers if n is not None):
        raise UnusableModel("un paramètre n'est pas un nombre fini / a parameter is not a finite number")
    openings, people = _openings(model.programmes), _people()
    path = "colonnes / columns"
    try:
        engine = MatchingEngine(openings, model, lambda: TODAY)
        path = "probabilités / probabilities"
        for person in people:  # every pair, eligible or not: a model that gives nothing usable proposes nothing
            for candidate in engine.score_openings(person, [o.opening_id for o in openings]).values():
                _probability(candidate.probability, path)
        path = "proposition en temps réel / real-time proposal"
        for person in people:
            for candidate in engine.candidates(person):
                _probability(candidate.probability, path)
                engine.reasons(person, candidate)
        path = "lot optimal / batch"
        batch = engine.assign_batch(people, explain=True)
        for p in batch.probability:
            _probability(float(p), path)
        path = "clôture de fenêtre / window close"
        engine.resolve_window(
            people[:3], [None, openings[0].opening_id, None], [frozenset()] * 3, engine.table.seats.copy(),
            lookalikes=people[3:], arrival_days=np.array([0.5, 1.5]), samples=2,
        )  # fmt: skip
        path = "explication / explanation"
        for person in people:
            for verdict in explain_openings(person, openings, model):
                if verdict.score is not None:
                    _probability(verdict.score, path)
    except UnusableModel:
        raise
    except Exception as exc:  # what it cannot do is the reason, whatever raised it
        raise UnusableModel(f"{path} : {type(exc).__name__}: {exc}") from exc


def _probability(value: float, path: str) -> None:
    if not (np.isfinite(value) and 0.0 <= value <= 1.0):
        raise UnusableModel(f"{path} : probabilité {value!r} hors de [0, 1] / probability out of [0, 1]")


def adoptable(artefact: SuccessModelTrained) -> SuccessModel:
    """The model an artefact carries, checked on every path; raises UnusableModel with the reason."""
    try:
        model = SuccessModel.from_event(artefact)
    except ValueError as exc:
        raise UnusableModel(f"artefact illisible / unreadable artefact: {exc}") from exc
    check_model(model)
    return model
