"""What compiled code would gain on the matching step: a numba search against the engine and the reference.

Run alone: `python bench/bench_matching_compiled.py [--size 100000] [--quick]`. Builds a SQLite
`demo synth` network like `bench_matching.py`, then, per side (needs' top-10 among the offers,
offers' top-10 among the needs), single-threaded:
- the reference top-10 of `bench_matching.py` (`reference_seconds`: one side, the needs');
- the engine's search (`candidates.top_k_for_needs` / `top_k_for_offers`);
- the compiled search of `compiled_search.py`: its trees, its walk (which returns the candidates
  within a slack of each query's k-th), then the exact scores of those candidates with the engine's
  own numpy functions and their order. The top-10 lists must equal the engine's, float for float;
  the bench stops with an error otherwise;
then both sides in two threads, as `top_k_both_sides` runs them, engine and compiled.
The compiled functions are compiled (or loaded from numba's cache) before timing; the time that
takes is printed apart, with the memory numba adds to the process. Not the engine: a measurement
of a design, so that a decision to write the matching step in compiled code rests on figures.
"""

# ruff: noqa: E402  (thread limits must be set before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import resident_mb

_BEFORE_NUMBA = resident_mb()
import compiled_search  # numba's own import, measured: the engine's process would carry it

_NUMBA_IMPORT_MB = resident_mb() - _BEFORE_NUMBA
from bench_matching import reference_seconds
from bench_matching_floor import network_main, networks

from mutualisation.geo import km_to_chord
from mutualisation.matching import candidates
from mutualisation.matching.arrays import NEED, OFFER, ListingArrays
from mutualisation.matching.config import MatchingConfig
from mutualisation.matching.scoring import coop_territories, cooperation_keys
from mutualisation.matching.search import Side, class_upper_bounds, target_classes
from mutualisation.matching.topk import Pairs, TopK, empty, to_topk

SLACK = 1e-9  # the approximate and exact scores differ by about 1e-15; the bound needs twice that
Network = tuple[ListingArrays, ListingArrays]


@dataclass
class Timings:
    search: float = 0.0  # trees and walk
    exact: float = 0.0  # exact scores of the candidates, and their order
    candidates: int = 0
    queries: int = 0


def _chord2(km: np.ndarray) -> np.ndarray:
    chord = km_to_chord(km) * (1 + 1e-9) + 1e-6 / 6371.0
    return chord * chord


def _columns(side: Side, pos: np.ndarray, in_coop: np.ndarray) -> tuple[np.ndarray, ...]:
    a, d = side.arrays, side.arrays.derived
    return tuple(
        np.ascontiguousarray(c)
        for c in (
            d.window_lo[pos], d.window_hi[pos], d.window_bounded[pos], a.quantity[pos], a.inexhaustible[pos],
            a.owner[pos], a.territory[pos], side.radius[pos], in_coop[pos],
        )
    )  # fmt: skip


def _forest(t_side: Side, tp: np.ndarray, sub: np.ndarray, classes: np.ndarray) -> tuple[tuple, np.ndarray]:
    """One tree per (subcategory, remote flag), flattened: (forest, roots' group keys)."""
    parts, roots, keys, nodes, placed = [], [], [], 0, 0
    remote = t_side.arrays.remote_possible[tp]
    for code in np.unique(sub):
        for flag in (False, True):
            sel = np.flatnonzero((sub == code) & (remote == flag))
            if not sel.size:
                continue
            order, lo, hi, st, en, left, right, maxrad, clsmask = compiled_search.build_tree(
                np.ascontiguousarray(t_side.vectors[tp[sel]]), t_side.radius[tp[sel]], classes[sel]
            )
            shift = np.where(left >= 0, nodes, 0)
            parts.append(
                (
                    sel[order],
                    lo,
                    hi,
                    st + placed,
                    en + placed,
                    left + shift,
                    right + shift,
                    _chord2(maxrad),
                    clsmask,
                )
            )
            roots.append(nodes)
            keys.append((code, flag))
            nodes, placed = nodes + lo.shape[0], placed + sel.size
    forest = tuple(np.concatenate([p[i] for p in parts]) for i in range(9))
    return forest, (np.asarray(roots, dtype=np.int64), np.asarray(keys))


def _spatial_order(points: np.ndarray) -> np.ndarray:
    """An order of the points in which neighbours follow each other: that of a k-d tree's leaves."""
    n = points.shape[0]
    order, *_ = compiled_search.build_tree(np.ascontiguousarray(points), np.zeros(n), np.zeros(n, np.int64))
    return order


def _groups(
    n_codes: int, codes: np.ndarray, close: np.ndarray, cfg: MatchingConfig
) -> tuple[np.ndarray, ...]:
    """Per compact subcategory code of a query, its trees and their factors, best first."""
    start, group, factor = [0], [], []
    for s in range(n_codes):
        mine = []
        for g, code in enumerate(codes.tolist()):
            if s == 0 or code == 0:
                mine.append((cfg.subcategory_wildcard_factor, g))
            elif code == s:
                mine.append((1.0, g))
            elif close[s, code]:
                mine.append((cfg.subcategory_close_factor, g))
        mine.sort(key=lambda x: -x[0])
        group += [g for _, g in mine]
        factor += [f for f, _ in mine]
        start.append(len(group))
    return np.asarray(start, np.int64), np.asarray(group, np.int64), np.asarray(factor, np.float64)


def _exact(
    pairs: Pairs, qp: np.ndarray, tp: np.ndarray, found: tuple, decay: float, k: int, out: list
) -> None:
    """The candidates scored by the engine's own functions, and the k best of each query."""
    offsets, targets = found
    rows = np.repeat(np.arange(qp.size), np.diff(offsets))
    q, t = qp[rows], tp[targets]
    dist = pairs.distance(q, t)
    with np.errstate(invalid="ignore"):
        score, valid = pairs.score(q, t, dist, decay)
    keep = valid & (score >= pairs.cfg.min_score)
    compiled_search.top_of_rows(offsets, keep, score, dist, pairs.targets.id[t], k, *out, qp)


def compiled_top_k(
    queries: ListingArrays,
    kind: int,
    targets: ListingArrays,
    cfg: MatchingConfig,
    coop: list,
    timings: Timings,
) -> TopK:
    k = cfg.top_k
    keys = cooperation_keys(coop)
    in_coop_terr = coop_territories(keys)
    q_side, t_side = Side(queries, cfg), Side(targets, cfg)
    pairs = Pairs(queries, targets, kind, cfg, keys)
    out = list(empty(len(queries), k))
    weights = (
        cfg.weight_subcategory, cfg.weight_distance, cfg.weight_window, cfg.weight_quantity,
        cfg.weight_cooperation, cfg.quantity_unspecified_factor, cfg.window_open_partial_factor,
    )  # fmt: skip
    q_coop, t_coop = (np.isin(s.arrays.territory, in_coop_terr) for s in (q_side, t_side))
    for category in np.intersect1d(queries.category[q_side.located], targets.category[t_side.located]):
        started = time.perf_counter()
        qp = np.flatnonzero(q_side.located & (queries.category == category))
        qp = qp[_spatial_order(q_side.vectors[qp])]  # consecutive queries walk the same nodes
        tp = np.flatnonzero(t_side.located & (targets.category == category))
        codes = np.unique(np.concatenate([[0], queries.subcategory[qp], targets.subcategory[tp]]))
        close = np.asarray(cfg.close(codes[:, None], codes[None, :])) & (codes[:, None] != codes[None, :])
        classes = target_classes(t_side, kind)[tp]
        bound = np.full((qp.size, compiled_search.CLASSES), -1.0)
        for c in np.unique(classes):
            bound[:, c] = class_upper_bounds(q_side, qp, kind, int(c), cfg, q_coop[qp].astype(np.float64))
        forest, (roots, group_keys) = _forest(
            t_side, tp, np.searchsorted(codes, targets.subcategory[tp]), classes
        )
        # The targets' columns in the trees' order: a leaf's targets sit side by side in memory.
        tp, forest = tp[forest[0]], (np.arange(tp.size), *forest[1:])
        groups = (
            roots,
            group_keys[:, 1].astype(np.bool_),
            *_groups(codes.size, group_keys[:, 0], close, cfg),
        )
        decay = cfg.decay_for(str(category))
        q_sub = np.searchsorted(codes, queries.subcategory[qp])
        q_vectors, t_vectors = (np.ascontiguousarray(s.vectors[p]) for s, p in ((q_side, qp), (t_side, tp)))
        found = compiled_search.search(
            kind == NEED, q_vectors, q_sub, queries.remote_possible[qp], _chord2(q_side.radius[qp]), bound,
            _columns(q_side, qp, q_coop), t_vectors, _columns(t_side, tp, t_coop), forest, groups, weights,
            keys, decay, cfg.remote_decay_km, cfg.min_score, k, SLACK,
        )  # fmt: skip
        searched = time.perf_counter()
        _exact(pairs, qp, tp, found, decay, k, out)
        timings.search += searched - started
        timings.exact += time.perf_counter() - searched
        timings.candidates += int(found[1].size)
        timings.queries += int(qp.size)
    return to_topk(queries.id, *out)


def _side(nets: list[Network], kind: int) -> list[tuple[ListingArrays, ListingArrays]]:
    return [(n, o) if kind == NEED else (o, n) for o, n in nets]


def engine(nets: list[Network], kind: int, cfg: MatchingConfig) -> tuple[float, list[TopK]]:
    top_k = candidates.top_k_for_needs if kind == NEED else candidates.top_k_for_offers
    started = time.perf_counter()
    done = [top_k(o, n, cfg) for o, n in nets]
    return time.perf_counter() - started, done


def compiled(
    nets: list[Network], kind: int, cfg: MatchingConfig, timings: Timings
) -> tuple[float, list[TopK]]:
    started = time.perf_counter()
    done = [compiled_top_k(q, kind, t, cfg, [], timings) for q, t in _side(nets, kind)]
    return time.perf_counter() - started, done


def same(a: list[TopK], b: list[TopK]) -> None:
    for x, y in zip(a, b, strict=True):
        for name in ("ids", "scores", "distances"):
            if not np.array_equal(getattr(x, name), getattr(y, name), equal_nan=True):
                rows = np.flatnonzero((getattr(x, name) != getattr(y, name)).any(axis=1))
                raise SystemExit(f"the compiled search differs from the engine in {name}, rows {rows[:5]}")


def warm_up(nets: list[Network], cfg: MatchingConfig) -> float:
    """Compile the numba functions (or load them from numba's cache) on a small network."""
    o, n = nets[0]
    few = np.arange(min(200, len(o), len(n)))
    started = time.perf_counter()
    compiled_top_k(n.take(few), NEED, o.take(few), cfg, [], Timings())
    return time.perf_counter() - started


def both_sides(nets: list[Network], cfg: MatchingConfig, use_compiled: bool) -> float:
    """Wall seconds of both sides of every category in two threads: the engine's own
    `top_k_both_sides`, or the compiled search run the same way."""
    started = time.perf_counter()
    if use_compiled:
        jobs = [(kind, q, t) for kind in (NEED, OFFER) for q, t in _side(nets, kind)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda job: compiled_top_k(job[1], job[0], job[2], cfg, [], Timings()), jobs))
    else:
        candidates.top_k_both_sides(nets, cfg, workers=2)
    return time.perf_counter() - started


def measure(url: str, runs: int) -> None:
    nets = networks(url)
    cfg = MatchingConfig()
    before = resident_mb()
    print(
        f"  compiling (or loading from numba's cache): {warm_up(nets, cfg):.2f} s; numba adds "
        f"{_NUMBA_IMPORT_MB + resident_mb() - before:.0f} MB to the process ({_NUMBA_IMPORT_MB:.0f} MB "
        "importing it), which the engine's peak (goal 500 MB) would carry"
    )
    for run in range(1, runs + 1):
        ref = reference_seconds(url)[0]
        print(f"  run {run}: reference {ref:.3f} s (needs' top-10, one thread)")
        for kind, label in ((NEED, "needs"), (OFFER, "offers")):
            engine_s, expected = engine(nets, kind, cfg)
            timings = Timings()
            compiled_s, got = compiled(nets, kind, cfg, timings)
            same(got, expected)
            print(
                f"    {label}: engine {engine_s / ref:.2f} x; compiled {compiled_s / ref:.2f} x "
                f"(trees and walk {timings.search / ref:.2f} x, exact scores and order "
                f"{timings.exact / ref:.2f} x; {timings.candidates / max(timings.queries, 1):.1f} "
                "candidates a query); equal to the engine's"
            )
        engine_both, compiled_both = both_sides(nets, cfg, False), both_sides(nets, cfg, True)
        print(
            f"    both sides, two threads: engine {engine_both / ref:.2f} x, "
            f"compiled {compiled_both / ref:.2f} x (wall)"
        )


def main() -> None:
    network_main(__doc__.splitlines()[0], measure, "compiled")


if __name__ == "__main__":
    main()
