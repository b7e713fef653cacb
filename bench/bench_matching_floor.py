"""How close the matching search is to the least work an exact search over its partitions must do.

Run alone: `python bench/bench_matching_floor.py [--size 100000] [--quick]`. Builds a SQLite
`demo synth` network like `bench_matching.py`, then searches both sides single-threaded and prints:
- the neighbours the engine fetches from its k-d trees per query (every doubling round counted);
- the minimum: per query, the targets whose bound (the engine's own, per subset and class of
  targets) still reaches the query's FINAL k-th score. No exact search that prunes with these
  bounds can skip one of them: it has to look at a target to know it does not beat the k-th;
- the time of visiting just that minimum over the engine's own trees, knowing the final k-th in
  advance (scipy's ball queries, counting), against the reference top-10 of `bench_matching.py`
  (`reference_seconds`: one side, the needs');
- the time of a bare k-d tree fetching, per query, exactly that minimum from the category's
  listings, on both sides, against the same reference. This is what the issue's "matching step
  <= 2x the reference" leaves for everything else: reading the rows into arrays, scoring,
  filtering, merging the top-k lists;
- the engine's own search time, each side single-threaded, against the same reference.

The minimum is counted by wrapping the engine's search (`candidates._search_group`,
`candidates.KnnSearch`, `search._query_tree`) in this process only; the results are unchanged.
"""

# ruff: noqa: E402  (thread limits must be set before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_matching import build, reference_seconds
from machine import cpu_name, load_average
from scipy.spatial import cKDTree

from mutualisation.db import make_engine, make_session_factory
from mutualisation.geo import unit_vectors
from mutualisation.matching import candidates, search
from mutualisation.matching.arrays import ListingArrays
from mutualisation.matching.config import MatchingConfig
from mutualisation.matching.reading import categories, cooperations, load_category
from mutualisation.matching.snapshots import Snapshot

Network = tuple[ListingArrays, ListingArrays]  # (offers, needs) of one category


@dataclass
class Counts:
    """What one side's search fetched, and the minimum it had to look at, per query."""

    fetched: int = 0
    visit_seconds: float = 0.0  # the ball queries over the minimum, given the final k-th
    # Per category's queries (keyed by their arrays' id), aligned with their rows; NaN: not searched.
    minimum: dict[int, np.ndarray] = field(default_factory=dict)
    searches: list[Any] = field(default_factory=list)

    def add(self, queries: ListingArrays, qs: np.ndarray, counts: np.ndarray) -> None:
        self.minimum.setdefault(id(queries), np.full(len(queries), np.nan))[qs] = counts

    def of(self, queries: ListingArrays) -> np.ndarray:
        return self.minimum.get(id(queries), np.full(len(queries), np.nan))


def _minimum(cfg: MatchingConfig, searches: list[Any], kth: np.ndarray, counts: Counts) -> np.ndarray:
    """Per query of one group, the targets within the distance where their bound reaches `kth`."""
    threshold = np.maximum(cfg.min_score, kth)
    out = np.zeros(kth.size)
    for one in searches:  # each searched the group's queries, in the group's order
        live = np.flatnonzero(one.ub + cfg.weight_distance + search.REL_EPS >= threshold)
        if live.size:
            reach = one._own_bound(threshold[live], live)  # the engine's own bound, as a chord
            points = one.q_side.vectors[one.q_pos[live]]
            started = time.perf_counter()
            out[live] += one.tree.query_ball_point(points, r=reach, return_length=True)
            counts.visit_seconds += time.perf_counter() - started
    return out


@contextmanager
def counted(cfg: MatchingConfig) -> Iterator[Counts]:
    """The engine's search, wrapped to count what it fetches and what it had to look at."""
    counts = Counts()
    original_group, original_search, original_query = (
        candidates._search_group,
        candidates.KnnSearch,
        search._query_tree,
    )

    class Recorded(original_search):  # type: ignore[misc, valid-type]
        def run(self, running: Any) -> Any:
            counts.searches.append(self)
            return super().run(running)

    def query_tree(tree: Any, points: Any, big_k: int, bound: Any) -> Any:
        dd, ii = original_query(tree, points, big_k, bound)
        counts.fetched += int((ii < tree.n).sum())
        return dd, ii

    def group(query: Any, qs: Any, *args: Any) -> Any:
        counts.searches.clear()
        running = original_group(query, qs, *args)
        counts.add(query.q_side.arrays, qs, _minimum(cfg, counts.searches, running[0][:, -1], counts))
        return running

    candidates._search_group, candidates.KnnSearch, search._query_tree = group, Recorded, query_tree
    try:
        yield counts
    finally:
        candidates._search_group, candidates.KnnSearch, search._query_tree = (
            original_group,
            original_search,
            original_query,
        )


def networks(url: str) -> list[Network]:
    engine = make_engine(url)
    session = make_session_factory(engine)()
    out = []
    for category in categories(session):
        offers, needs = load_category(session, category)
        if offers and needs:
            sides = Snapshot.of(0, 0, offers, needs).sides
            out.append((sides["offer"].arrays, sides["need"].arrays))
    session.close()
    engine.dispose()
    return out


def _located(arrays: ListingArrays) -> tuple[np.ndarray, np.ndarray]:
    """(which rows have coordinates, their unit vectors)."""
    ok = ~(np.isnan(arrays.lat) | np.isnan(arrays.lon))
    return ok, unit_vectors(arrays.lat[ok], arrays.lon[ok])


def bare_minimum(nets: list[Network], minimum: Counts) -> float:
    """A k-d tree over each category's counterparts fetching, per query, its minimum (both sides)."""
    started = time.perf_counter()
    for offers, needs in nets:
        for queries, targets in ((needs, offers), (offers, needs)):
            (ok, points), tree = _located(queries), cKDTree(_located(targets)[1])
            ks = np.nan_to_num(minimum.of(queries)[ok]).astype(int)
            for k in np.unique(ks[ks > 0]):
                tree.query(points[ks == k], k=int(min(k, tree.n)))
    return time.perf_counter() - started


def engine_side(nets: list[Network], cfg: MatchingConfig, coop: list[tuple[int, int]], side: str) -> float:
    top_k = candidates.top_k_for_needs if side == "need" else candidates.top_k_for_offers
    started = time.perf_counter()
    for offers, needs in nets:
        top_k(offers, needs, cfg, cooperations=coop)
    return time.perf_counter() - started


def measure(url: str, runs: int) -> None:
    nets = networks(url)
    cfg = MatchingConfig()
    engine = make_engine(url)
    session = make_session_factory(engine)()
    coop = cooperations(session)
    session.close()
    engine.dispose()
    minimum = Counts()
    for side in ("need", "offer"):
        with counted(cfg) as counts:
            engine_side(nets, cfg, coop, side)
        ref = reference_seconds(url)[0]
        minimum.minimum.update(counts.minimum)
        queries = [needs if side == "need" else offers for offers, needs in nets]
        per_query = np.concatenate([counts.of(q) for q in queries])
        per_query = per_query[~np.isnan(per_query)]
        n = max(per_query.size, 1)
        print(
            f"  {side}s' searches: {per_query.size:,} queries; fetched {counts.fetched / n:.1f} neighbours "
            f"a query; minimum {per_query.mean():.1f} (median {np.median(per_query):.0f}, "
            f"p90 {np.percentile(per_query, 90):.0f}); visiting just the minimum over the engine's trees "
            f"{counts.visit_seconds / ref:.2f} x the reference"
        )
    for run in range(1, runs + 1):
        ref = reference_seconds(url)[0]
        floor = bare_minimum(nets, minimum)
        needs, offers = (engine_side(nets, cfg, coop, side) for side in ("need", "offer"))
        print(
            f"  run {run}: reference {ref:.3f} s; bare k-d tree fetching the minimum, both sides: "
            f"{floor / ref:.2f} x; engine, single-threaded: needs {needs / ref:.2f} x, "
            f"offers {offers / ref:.2f} x"
        )


def network_main(description: str, measure: Callable[[str, int], None], name: str) -> None:
    """The command line of a bench that measures on a SQLite `demo synth` network: its size and runs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=int, default=100_000, help="offers and needs each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 x 5,000, one timed run")
    args = parser.parse_args()
    size, runs = (5_000, 1) if args.quick else (args.size, args.runs)
    print(f"{cpu_name()} | {os.cpu_count()} logical cores | numpy {np.__version__}")
    print(f"load average (1, 5, 15 min): {load_average()}")
    print(f"SQLite, {size:,} offers x {size:,} needs:")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/{name}.sqlite"
        build(url, size)
        measure(url, runs)


def main() -> None:
    network_main(__doc__.splitlines()[0], measure, "floor")


if __name__ == "__main__":
    main()
