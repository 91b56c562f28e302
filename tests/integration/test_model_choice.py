"""The success model is chosen by cross-validated log loss, on more than one synthetic world (seeds and
shapes): with programme effects where the outcomes have them, as good as gradient-boosted trees, and
calibrated out of fold; the chosen model ships as arrays and scores in the engine as it did in training."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from passerelle.synthetic import make_openings, make_population, past_outcomes
from services.matching.domain import model_basis
from services.matching.domain.engine import MatchingEngine, design_for, pair_signals_for
from services.matching.domain.features import SIGNALS
from services.matching.domain.model_choice import (
    PLAIN,
    TREES,
    WITH_PROGRAMMES,
    NotEnoughHistory,
    calibration_table,
    choose_success_model,
    train_success_model,
)
from services.matching.domain.success_model import SuccessModel
from services.matching.service_layer.history import OutcomeRecord, learn_from
from shared.contract.events import ProgrammeOpening, SuccessModelTrained
from tests.unit.fakes.harness import NOW

WORLDS = [(3, 40, 4000), (5, 150, 5000), (13, 80, 5000)]  # seed, openings, people in the past and anew
BIG = (3, 40, 8000)


@functools.cache
def world(
    seed: int, openings: int, people: int
) -> tuple[list[ProgrammeOpening], list[OutcomeRecord], list[OutcomeRecord]]:
    """A synthetic world: its openings, past referrals with their outcomes, and fresh ones to check on."""
    rng = np.random.default_rng(seed)
    catalogue = make_openings(openings, rng)
    engine = MatchingEngine(catalogue)
    history, fresh = (past_outcomes(make_population(people, rng, prefix), engine, rng) for prefix in "hf")
    return catalogue, history, fresh


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@pytest.mark.parametrize(("seed", "openings", "people"), WORLDS)
def test_the_model_chosen_by_cross_validation_is_the_better_one_on_new_outcomes_and_is_calibrated(
    seed: int, openings: int, people: int
) -> None:
    _, history, fresh = world(seed, openings, people)

    def signals(records: list[OutcomeRecord]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        x = pair_signals_for([r.profile for r in records], [r.opening for r in records])
        return x, np.array([r.success for r in records], dtype=int), [r.opening.programme for r in records]

    x, y, programmes = signals(history)
    model, choice = choose_success_model(x, y, programmes)
    assert choice is not None

    def on_fresh(trained: SuccessModel) -> float:
        design = design_for(trained, [r.profile for r in fresh], [r.opening for r in fresh])
        return _log_loss(signals(fresh)[1], trained.predict(design))

    everything = sorted({r.opening.programme for r in history})
    simpler = {
        PLAIN: train_success_model(x, y, programmes),
        WITH_PROGRAMMES: train_success_model(x, y, programmes, model_basis.with_programmes(everything)),
    }
    for name, trained in simpler.items():  # the chosen model is as good as each simpler one on new outcomes
        assert on_fresh(model) <= on_fresh(trained) + 0.003, (name, choice.cv_log_loss)
    assert choice.cv_log_loss[choice.chosen] <= choice.cv_log_loss[TREES] + 0.005  # trees find nothing more
    fitted = np.asarray(model.predict(design_for(model, [r.profile for r in history], [r.opening for r in history])))
    for predicted, observed, count in calibration_table(y, fitted, 5):  # per fifth of the predictions
        assert abs(predicted - observed) < 0.06, (predicted, observed, count)
    for predicted, observed, count in choice.calibration:  # out of fold: ~10 % of the outcomes per decile
        assert abs(predicted - observed) < 0.1, (predicted, observed, count)


def test_programme_effects_win_where_the_history_is_large_enough_to_show_them() -> None:
    _, records, _ = world(*BIG)
    x = pair_signals_for([r.profile for r in records], [r.opening for r in records])
    y = np.array([r.success for r in records], dtype=int)

    model, choice = choose_success_model(x, y, [r.opening.programme for r in records])
    assert choice is not None

    assert choice.chosen.startswith(WITH_PROGRAMMES) and choice.cv_log_loss[WITH_PROGRAMMES] < choice.cv_log_loss[PLAIN]
    assert set(model.programmes) == {r.opening.programme for r in records}  # each has 30 outcomes or more


def test_the_chosen_model_travels_as_arrays_and_the_engine_scores_with_its_programme_effects() -> None:
    catalogue, records, _ = world(*BIG)
    report = learn_from(records)
    assert report.choice is not None and report.model.programmes
    shipped = SuccessModel.from_event(
        SuccessModelTrained.model_validate(report.artefact(2, 0, NOW).model_dump(mode="json"))
    )
    assert shipped.programmes == report.model.programmes
    engine = MatchingEngine(catalogue, shipped)
    effects = dict(zip(shipped.feature_names, shipped.weights, strict=True))
    effect_columns = [k for k, name in enumerate(shipped.feature_names) if name.startswith("programme:")]
    for record in records[:100]:
        for candidate in engine.candidates(record.profile):
            programme_part = candidate.features[effect_columns]
            assert programme_part.tolist() == [float(p == candidate.opening.programme) for p in shipped.programmes]
            assert candidate.probability == pytest.approx(float(shipped.predict(candidate.features)), abs=1e-6)
    assert len({round(effects[f"programme:{p}"], 3) for p in shipped.programmes}) > 1  # effects differ


def test_a_lopsided_history_is_learned_without_a_choice_or_kept_as_the_prior() -> None:
    x = np.random.default_rng(0).random((60, len(SIGNALS)))
    y = np.zeros(60, dtype=int)
    y[:3] = 1  # three successes: too few to cross-validate, enough to learn

    model, choice = choose_success_model(x, y, ["Epide"] * 30 + ["HOPE"] * 30)

    assert model.source.startswith("learned") and choice is None
    y[1:] = 0
    with pytest.raises(NotEnoughHistory):  # one success: nothing to learn from
        choose_success_model(x, y, ["Epide"] * 60)
