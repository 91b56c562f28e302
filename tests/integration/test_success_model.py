"""The success model learns from outcomes and is calibrated; too little history keeps the prior."""

import numpy as np

from passerelle.synthetic import make_openings, make_population, true_success
from services.matching.domain.engine import MatchingEngine, design_for
from services.matching.domain.features import FEATURES
from services.matching.service_layer.history import OutcomeRecord, learn_from


def _history(n: int, seed: int) -> tuple[list[OutcomeRecord], np.ndarray]:
    rng = np.random.default_rng(seed)
    openings = make_openings(200, rng)
    population = make_population(n, rng)
    engine = MatchingEngine(openings)
    pool = engine.score_batch(population.profiles, pool_k=1)
    p = true_success(population, pool.table, engine.table, pool.people, pool.openings)
    success = rng.random(len(p)) < p
    records = [
        OutcomeRecord(profile=population.profiles[i], opening=engine.openings[j], success=bool(s))
        for i, j, s in zip(pool.people.tolist(), pool.openings.tolist(), success.tolist(), strict=True)
    ]
    return records, p


def test_too_little_history_keeps_the_prior_and_says_so() -> None:
    records, _ = _history(30, seed=1)
    report = learn_from(records[:20])
    assert report.model.source == "prior"
    assert "need 50" in report.note


def test_the_learned_model_rewards_occupational_fit_and_is_calibrated() -> None:
    records, _ = _history(6000, seed=2)
    report = learn_from(records)
    model = report.model
    assert model.source.startswith("learned (") and "-calibrated" in model.source
    assert model.weights[FEATURES.index("occupation_similarity")] > 0
    assert model.weights[FEATURES.index("housing_unmet")] < 0

    held_out, _ = _history(3000, seed=3)
    predicted = model.predict(design_for(model, [r.profile for r in held_out], [r.opening for r in held_out]))
    observed = np.array([r.success for r in held_out], dtype=float)
    # Reliability: in each decile of predicted probability, the observed rate is close to the prediction.
    bins = np.quantile(predicted, np.linspace(0, 1, 6))
    which = np.clip(np.searchsorted(bins, predicted, side="right") - 1, 0, 4)
    for b in range(5):
        inside = which == b
        if inside.sum() > 100:
            assert abs(predicted[inside].mean() - observed[inside].mean()) < 0.08
    assert abs(predicted.mean() - observed.mean()) < 0.03
