"""Capacity-constrained assignment: maximise total predicted success, exactly, as a min-cost flow.

source → newcomer (capacity 1) → opening (capacity 1, cost -weight) → sink (capacity = seats), plus a
source → sink bypass so that leaving someone unassigned is allowed. The flow is integral and optimal
(OR-Tools' network simplex / cost scaling). The dual prices of the seats ("potentials", as in Annie
MOORE's dynamic matching) are then recovered by Bellman-Ford relaxation on the bipartite graph, and
checked by strong duality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

SCALE = 1_000_000  # weights become integer costs in millionths
MAX_DUAL_ROUNDS = 200


class SolverFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Assignment:
    opening_of: np.ndarray  # per newcomer: the opening index, or -1
    prices: np.ndarray  # per opening: the dual price of one of its seats (0 when seats are left)
    utilities: np.ndarray  # per newcomer: weight of their edge minus its price (0 when unassigned)
    objective: float

    @property
    def dual_objective(self) -> float:
        return float(self.utilities.sum())


def solve_assignment(
    n_people: int,
    people: np.ndarray,
    openings: np.ndarray,
    weights: np.ndarray,
    seats: np.ndarray,
) -> Assignment:
    """Optimal assignment over the candidate edges (people[k], openings[k]) with value weights[k] ≥ 0."""
    m = len(seats)
    edges = len(people)
    source, sink = n_people + m, n_people + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n_people, source), people, n_people + np.arange(m), [source]]).astype(np.int32)
    heads = np.concatenate([np.arange(n_people), n_people + openings, np.full(m, sink), [sink]]).astype(np.int32)
    capacities = np.concatenate([np.ones(n_people), np.ones(edges), np.maximum(seats, 0), [n_people]]).astype(np.int64)
    costs = np.concatenate([np.zeros(n_people), -np.round(weights * SCALE), np.zeros(m), [0]]).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_nodes_supplies(np.array([source, sink]), np.array([n_people, -n_people]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverFailed(f"min-cost flow ended with status {status}")
    edge_flows = np.asarray(flow.flows(np.arange(n_people, n_people + edges, dtype=np.int32)), dtype=np.int64)
    chosen = np.flatnonzero(edge_flows > 0)
    opening_of = np.full(n_people, -1, dtype=np.int64)
    opening_of[people[chosen]] = openings[chosen]
    weight_of = np.zeros(n_people)
    weight_of[people[chosen]] = weights[chosen]
    prices = seat_prices(n_people, people, openings, weights, seats, opening_of, weight_of)
    utilities = np.where(opening_of >= 0, weight_of - prices[np.maximum(opening_of, 0)], 0.0) if m else weight_of
    return Assignment(opening_of, prices, utilities, float(weight_of.sum()))


def seat_prices(
    n_people: int,
    people: np.ndarray,
    openings: np.ndarray,
    weights: np.ndarray,
    seats: np.ndarray,
    opening_of: np.ndarray,
    weight_of: np.ndarray,
) -> np.ndarray:
    """Smallest dual prices λ ≥ 0 with u_i + λ_j ≥ w_ij on every edge, λ_j = 0 where seats are left.

    u_i = w_i,a(i) - λ_a(i) for an assigned newcomer and 0 otherwise; iterate to the fixed point (a
    Bellman-Ford on the residual graph, which has no negative cycle since the flow is optimal)."""
    m = len(seats)
    if m == 0:
        return np.zeros(0)
    taken = np.bincount(opening_of[opening_of >= 0], minlength=m)
    full = taken >= seats
    prices = np.zeros(m)
    other = opening_of[people] != openings
    for _ in range(MAX_DUAL_ROUNDS):
        utility = np.where(opening_of >= 0, weight_of - prices[np.maximum(opening_of, 0)], 0.0)
        slack = np.where(other, weights - utility[people], -np.inf)
        candidate = np.zeros(m)
        np.maximum.at(candidate, openings, slack)
        updated = np.where(full, np.maximum(candidate, 0.0), 0.0)
        if np.allclose(updated, prices, atol=1e-12):
            return updated
        prices = updated
    return prices


def first_come_first_served(
    n_people: int, people: np.ndarray, openings: np.ndarray, weights: np.ndarray, seats: np.ndarray, *, best: bool
) -> np.ndarray:
    """In arrival order, each newcomer takes the best (or the first listed) candidate opening with a seat left."""
    left = seats.astype(np.int64).copy()
    opening_of = np.full(n_people, -1, dtype=np.int64)
    order = np.lexsort((-weights if best else np.arange(len(people)), people))
    starts = np.searchsorted(people[order], np.arange(n_people + 1))
    for person in range(n_people):
        for k in order[starts[person] : starts[person + 1]]:
            j = openings[k]
            if left[j] > 0:
                left[j] -= 1
                opening_of[person] = j
                break
    return opening_of
