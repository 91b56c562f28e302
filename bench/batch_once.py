"""One batch assignment in a fresh process: prints wall time (engine build + assignment) and peak RSS."""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from passerelle.synthetic import make_openings, make_population
from services.matching.domain.engine import MatchingEngine


def main() -> None:
    n, m = int(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(20261123)
    openings = make_openings(m, rng)
    profiles = make_population(n, rng).profiles
    started = time.perf_counter()
    engine = MatchingEngine(openings)
    result = engine.assign_batch(profiles, top_k=20, explain=False)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assigned = int((result.assignment.opening_of >= 0).sum())
    print(json.dumps({"n": n, "m": m, "wall_s": wall, "peak_rss_mb": peak_mb, "edges": result.candidate_edges,
                      "assigned": assigned, "objective": result.assignment.objective, "rounds": result.rounds,
                      "certified": result.certified_share}))  # fmt: skip


if __name__ == "__main__":
    main()
