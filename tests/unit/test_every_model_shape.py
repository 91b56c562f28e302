"""Every shape of model the trainer can produce is read by every reader of a model.

A model trained with programme effects once crashed every proposal (its reasons looked its columns up
among the pair features). Here each kind of column the trainer can learn — the pair features, programme
effects, more facts, hinges, programme slopes, person x opening products, all of them at once — is
trained by the real fit, shipped as a matching.model.v1 artefact and read back, then used by every reader:
a real-time proposal and its reasons, the batch and its reasons, a window's close, the explanation of
every opening, and the columns an analysis computes (`design_for`, what evaluate and assign score with).
The readers must agree with one another on every pair. The shapes also come through the real training
paths: an instance's start-up history, and retraining from outcomes."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest

from passerelle.synthetic import HOUSING_AND_MOVING, make_openings, make_population, past_outcomes
from services.matching.bootstrap import start_up_history
from services.matching.config import MatchingSettings
from services.matching.domain import model_basis
from services.matching.domain.engine import MatchingEngine, design_for, pair_signals_for
from services.matching.domain.model_choice import MIN_PER_SLOPE, PRODUCTS, WITH_PROGRAMMES, train_success_model
from services.matching.domain.model_columns import PLAIN_COLUMNS, Column
from services.matching.domain.success_model import SuccessModel, prior_model
from services.matching.service_layer.explain import explain_openings
from services.matching.service_layer.history import OutcomeRecord, TrainingReport
from services.matching.service_layer.model_check import check_model
from services.matching.service_layer.referral_feedback import RETRAIN_EVERY
from shared.contract.events import MatchingProposal, ProgrammeOpening, SuccessModelTrained
from shared.contract.topics import MATCHING_MODEL, MATCHING_PROPOSAL
from shared.messaging.consuming import PoisonMessage
from tests.unit.fakes.harness import NOW, MatchingHarness
from tests.unit.test_matching_use_cases import outcomes

NEWCOMERS = 40


@functools.cache
def world() -> tuple[list[ProgrammeOpening], list[OutcomeRecord], list]:  # type: ignore[type-arg]
    """A world whose outcomes depend on how the person and the opening meet: 30 openings of the five
    synthetic programmes, ~2,400 past referrals with their outcomes, and newcomers to propose to."""
    rng = np.random.default_rng(21)
    catalogue = make_openings(30, rng)
    history = past_outcomes(make_population(4000, rng, "h"), MatchingEngine(catalogue), rng, HOUSING_AND_MOVING)
    return catalogue, history, make_population(NEWCOMERS, rng, "n").profiles


def shapes() -> dict[str, tuple[Column, ...]]:
    _, history, _ = world()
    programmes = sorted({r.opening.programme for r in history})
    slopes = [p for p in programmes if sum(r.opening.programme == p for r in history) >= MIN_PER_SLOPE]
    assert slopes, "the world must have programmes with slopes of their own"
    with_effects = model_basis.with_programmes(programmes)
    return {
        "pair features": PLAIN_COLUMNS,
        "programme effects": with_effects,
        "more facts": with_effects + model_basis.more_facts_columns(),
        "hinges": with_effects + model_basis.hinge_columns(),
        "programme slopes": with_effects + model_basis.slope_columns(slopes),
        "products": with_effects + model_basis.product_columns(),
        "every column the trainer can learn": model_basis.with_interactions(programmes, slopes),
    }


@functools.cache
def trained(shape: str) -> SuccessModel:
    """The model of `shape`, fitted by the trainer's own fit, shipped as an artefact and read back."""
    _, history, _ = world()
    signals = pair_signals_for([r.profile for r in history], [r.opening for r in history])
    y = np.array([r.success for r in history], dtype=int)
    model = train_success_model(signals, y, [r.opening.programme for r in history], shapes()[shape], name=shape)
    return shipped(model)


def shipped(model: SuccessModel, version: int = 3) -> SuccessModel:
    artefact = TrainingReport(model, model.trained_on, 0, model.source).artefact(version, 0, NOW)
    return SuccessModel.from_event(SuccessModelTrained.model_validate_json(artefact.model_dump_json()))


def isotonic(model: SuccessModel) -> SuccessModel:
    """The same model calibrated by a step function (what the trainer keeps when isotonic fits better)."""
    steps = np.linspace(-4.0, 4.0, 40)
    return shipped(dataclasses.replace(model, sigmoid_ab=None, isotonic_x=steps, isotonic_y=1 / (1 + np.exp(-steps))))


def legacy(model: SuccessModel) -> SuccessModel:
    """An artefact written before columns were described: feature names only."""
    artefact = TrainingReport(model, 0, 0, model.source).artefact(2, 0, NOW)
    return SuccessModel.from_event(artefact.model_copy(update={"columns": None, "reference": None, "family": None}))


MODELS = {
    "the prior": lambda: shipped(prior_model()),
    **{shape: functools.partial(trained, shape) for shape in shapes()},
    "every column, isotonic": lambda: isotonic(trained("every column the trainer can learn")),
    "programme effects, named only": lambda: legacy(trained("programme effects")),
}


@pytest.mark.parametrize("name", MODELS)
def test_every_reader_reads_the_model_and_they_agree(name: str) -> None:
    model = MODELS[name]()
    catalogue, _, newcomers = world()
    engine = MatchingEngine(catalogue, model, lambda: NOW.date())
    assert [c.name for c in model.columns] == list(model.feature_names)

    # Real time: ranked candidates, each with its reasons in words and the model's own probability.
    proposed = 0
    for person in newcomers:
        for candidate in engine.candidates(person):
            reasons = engine.reasons(person, candidate)
            assert reasons[0].startswith("réussite estimée à"), reasons
            assert all(isinstance(r, str) and r for r in reasons) and len(set(reasons)) == len(reasons), reasons
            assert sum(r.startswith("français") for r in reasons) <= 1, reasons  # the level said once
            assert 0.0 <= candidate.probability <= 1.0
            assert candidate.probability == pytest.approx(float(model.predict(candidate.features)), abs=1e-6)
            proposed += 1
    assert proposed > NEWCOMERS  # most newcomers have several openings

    # The batch, explained: the same probability for each assigned pair as in real time and in an analysis.
    batch = engine.assign_batch(newcomers, explain=True)
    placed = [(i, o) for i, o in enumerate(batch.opening_of) if o is not None]
    assert placed and all(batch.reasons[i][0].startswith("réussite estimée") for i, _ in placed)
    analysed = model.predict(design_for(model, [newcomers[i] for i, _ in placed], [o for _, o in placed], catalogue))
    for (i, opening), p in zip(placed, analysed.tolist(), strict=True):
        assert batch.probability[i] == pytest.approx(p, abs=1e-5)
        assert engine.score_openings(newcomers[i], [opening.opening_id])[opening.opening_id].probability == (
            pytest.approx(p, abs=1e-5)
        )
    assert max(np.bincount([catalogue.index(o) for _, o in placed])) <= max(o.seats for o in catalogue)

    # A window's close, with look-alikes standing for the people still to come.
    solution = engine.resolve_window(
        newcomers[:10], [None] * 10, [frozenset()] * 10, engine.table.seats.copy(),
        lookalikes=newcomers[10:], arrival_days=np.arange(5) + 0.5, samples=2,
    )  # fmt: skip
    assert len(solution.opening_of) == 10

    # Every opening explained for one person: the eligible ones scored by this model.
    verdicts = explain_openings(newcomers[0], catalogue, model)
    assert all(0.0 <= v.score <= 1.0 for v in verdicts if v.score is not None)
    check_model(model)  # and the adoption check says it is usable


async def test_the_trainer_learns_products_from_a_start_up_history_and_proposes_with_them(tmp_path: Path) -> None:
    catalogue, history, newcomers = world()
    path = tmp_path / "history.jsonl"
    path.write_text("".join(r.model_dump_json() + "\n" for r in history))

    settings = MatchingSettings(
        kafka_bootstrap_servers="unused:9092", redis_url="redis://unused", success_history_path=path
    )
    records, model = start_up_history(settings)

    assert len(records) == len(history) and PRODUCTS in model.family, model.family
    assert any(c.times for c in model.columns)
    h = MatchingHarness(own_model=model, history=records)
    for opening in catalogue:
        await h.consume(opening)
    for person in newcomers[:10]:
        await h.consume(person)
    proposals = h.events(MATCHING_PROPOSAL.name, MatchingProposal)
    assert len(proposals) == 10
    ranked = [r for p in proposals for r in p.ranked]
    assert ranked and all(r.reasons[0].startswith("réussite estimée") for r in ranked)


async def test_retraining_from_outcomes_publishes_the_shape_it_chose_and_every_instance_proposes_with_it() -> None:
    catalogue, history, newcomers = world()
    first = MatchingHarness(history=history)
    second = MatchingHarness(log=first.log, models=first.models)  # another instance, the same Redis
    for opening in catalogue:
        await first.consume(opening)
        await second.consume(opening)
    for person, outcome in outcomes(RETRAIN_EVERY, catalogue):
        await first.consume(person)
        await first.consume(outcome)

    [artefact] = first.events(MATCHING_MODEL.name, SuccessModelTrained)
    assert artefact.family is not None and artefact.family.startswith(WITH_PROGRAMMES)
    assert artefact.columns is not None and len(artefact.columns) > len(PLAIN_COLUMNS)
    for person in newcomers:
        await second.consume(person)
    ids = {p.beneficiary_id for p in newcomers}
    proposals = [p for p in second.events(MATCHING_PROPOSAL.name, MatchingProposal) if p.beneficiary_id in ids]
    assert (await second.live.model()).version == artefact.version
    ranked = [r for p in proposals for r in p.ranked]
    assert len(proposals) == NEWCOMERS and ranked
    assert all(r.reasons[0].startswith("réussite estimée") for r in ranked)


def broken(artefact: SuccessModelTrained) -> dict[str, SuccessModelTrained]:
    """Artefacts that fit the contract but cannot be used, each a different way."""
    names = list(artefact.feature_names)
    return {
        "a weight that is not a number": artefact.model_copy(update={"weights": [float("nan"), *artefact.weights[1:]]}),
        "an infinite calibration": artefact.model_copy(update={"sigmoid_ab": (float("inf"), 0.0)}),
        "a hinge without a knot value": artefact.model_copy(
            update={"columns": [*artefact.columns[:-1], artefact.columns[-1].model_copy(update={"knot": float("inf")})]}
        )
        if artefact.columns
        else artefact,
        "a column named twice": artefact.model_copy(
            update={"columns": [*artefact.columns[:-1], artefact.columns[0]], "feature_names": names}
        )
        if artefact.columns
        else artefact,
    }


@pytest.mark.parametrize("how", list(broken(TrainingReport(prior_model(), 0, 0, "prior").artefact(1, 0, NOW))))
async def test_an_unusable_model_is_refused_as_poison_and_proposals_go_on_with_the_previous_one(how: str) -> None:
    catalogue, _, newcomers = world()
    h = MatchingHarness()
    for opening in catalogue:
        await h.consume(opening)
    good = TrainingReport(trained("every column the trainer can learn"), 100, 40, "learned").artefact(2, 100, NOW)
    await h.consume(good)
    assert (await h.live.model()).version == 2
    bad = broken(good)[how].model_copy(update={"version": 3})

    with pytest.raises(PoisonMessage, match=r"modèle v3 inutilisable / unusable model: .+"):
        await h.consume(bad)

    assert await h.models.version() == 2 and (await h.live.model()).version == 2
    await h.consume(newcomers[0])
    [proposal] = h.events(MATCHING_PROPOSAL.name, MatchingProposal)
    assert all(r.reasons[0].startswith("réussite estimée") for r in proposal.ranked)


async def test_a_retrained_model_that_cannot_be_used_is_never_published_and_is_reported(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    catalogue, _, _ = world()
    h = MatchingHarness()
    for opening in catalogue:
        await h.consume(opening)
    from services.matching.service_layer import referral_feedback

    learn = referral_feedback.learn_from

    def learns_a_broken_model(records):  # type: ignore[no-untyped-def]
        report = learn(records)
        weights = report.model.weights.copy()
        weights[0] = np.nan
        return dataclasses.replace(report, model=dataclasses.replace(report.model, weights=weights))

    monkeypatch.setattr(referral_feedback, "learn_from", learns_a_broken_model)
    for person, outcome in outcomes(2 * RETRAIN_EVERY, catalogue):
        await h.consume(person)
        await h.consume(outcome)

    assert h.log.events(MATCHING_MODEL.name) == []
    assert (await h.live.model()).source == "prior"
    assert h.failures and all(topic == MATCHING_MODEL.name and "non publié" in error for topic, error in h.failures)
