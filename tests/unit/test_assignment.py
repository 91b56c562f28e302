"""The exact solver: known optima, agreement with an LP solver, capacities, and the dual prices."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack

from services.matching.domain.assignment import first_come_first_served, solve_assignment


def _edges(pairs: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    people, openings, weights = zip(*pairs, strict=True)
    return np.array(people), np.array(openings), np.array(weights)


def test_one_seat_goes_to_whoever_gains_most() -> None:
    people, openings, weights = _edges([(0, 0, 0.5), (1, 0, 0.9)])

    result = solve_assignment(2, people, openings, weights, np.array([1]))

    assert result.opening_of.tolist() == [-1, 0]
    assert result.objective == pytest.approx(0.9)
    assert result.prices[0] == pytest.approx(0.5)  # the seat is worth what the runner-up would gain


def test_the_optimum_is_not_the_greedy_choice() -> None:
    # A prefers X (0.9) over Y (0.8); B can only go to X (0.85). Greedy gives A X: 0.9; optimum 0.8 + 0.85.
    people, openings, weights = _edges([(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.85)])
    seats = np.array([1, 1])

    optimal = solve_assignment(2, people, openings, weights, seats)
    greedy = first_come_first_served(2, people, openings, weights, seats, best=True)

    assert optimal.opening_of.tolist() == [1, 0]
    assert optimal.objective == pytest.approx(1.65)
    assert greedy.tolist() == [0, -1]


def test_nobody_is_placed_without_a_candidate_edge_or_a_seat() -> None:
    people, openings, weights = _edges([(0, 0, 0.7), (1, 0, 0.6)])

    result = solve_assignment(3, people, openings, weights, np.array([0]))

    assert result.opening_of.tolist() == [-1, -1, -1]
    assert result.objective == 0


def _lp_optimum(n: int, people: np.ndarray, openings: np.ndarray, weights: np.ndarray, seats: np.ndarray) -> float:
    e = len(people)
    a = vstack(
        [
            coo_matrix((np.ones(e), (people, np.arange(e))), shape=(n, e)),
            coo_matrix((np.ones(e), (openings, np.arange(e))), shape=(len(seats), e)),
        ]
    )
    result = linprog(-weights, A_ub=a, b_ub=np.concatenate([np.ones(n), seats]), bounds=(0, 1), method="highs")
    return float(-result.fun)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_solver_matches_an_lp_solver_and_its_prices_prove_optimality(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 12))
    k = int(rng.integers(1, m + 1))
    people = np.repeat(np.arange(n), k)
    openings = np.concatenate([rng.choice(m, k, replace=False) for _ in range(n)])
    weights = rng.random(len(people)).round(4)
    seats = rng.integers(0, 5, m)

    result = solve_assignment(n, people, openings, weights, seats)

    assert result.objective == pytest.approx(_lp_optimum(n, people, openings, weights, seats), abs=1e-4)
    taken = np.bincount(result.opening_of[result.opening_of >= 0], minlength=m)
    assert np.all(taken <= seats)
    assigned = {(i, int(j)) for i, j in enumerate(result.opening_of) if j >= 0}
    assert assigned <= set(zip(people.tolist(), openings.tolist(), strict=True))
    # Dual feasibility and strong duality: no unassigned pair could do better at these prices.
    assert np.all(result.utilities[people] + result.prices[openings] >= weights - 1e-6)
    assert np.all(result.prices >= 0) and np.all(result.utilities >= -1e-9)
    assert result.dual_objective + float(seats @ result.prices) == pytest.approx(result.objective, abs=1e-4)
