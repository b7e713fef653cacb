"""The matching benchmark's own measurements (`bench/bench_matching.py`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from mutualisation.db import make_engine
from mutualisation.migrate import upgrade


def load_bench(name: str = "bench_matching.py") -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / name
    spec = importlib.util.spec_from_file_location(f"{path.stem}_under_test", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    return bench


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_the_peak_memory_of_match_run_is_the_childs_own_not_the_benchs(tmp_path):
    """The bench runs `match run` as a child after holding large snapshots itself: the child's
    peak must not include them (getrusage's ru_maxrss carries the parent's over fork and exec)."""
    url = f"sqlite:///{tmp_path}/bench.sqlite3"
    engine = make_engine(url)
    upgrade(engine, "heads")
    engine.dispose()
    bench = load_bench()
    ballast = np.ones(400 * 2**20 // 8)  # 400 MiB written, so resident in this process
    assert _resident_mib() > 400
    figures = bench.match_run(url, str(tmp_path))
    assert figures["inserted"] == 0  # the CLI ran, on an empty network
    assert 20 < figures["peak_mb"] < 300, figures["peak_mb"]
    del ballast


def test_the_floor_counts_at_least_every_pair_found_and_leaves_the_results_unchanged(tmp_path):
    """`bench_matching_floor.py`: a target in a query's top-k has a bound at least its own score,
    so the least an exact search must look at is at least the pairs it returns; and the counting
    wraps the engine without changing what it finds."""
    url = f"sqlite:///{tmp_path}/floor.sqlite3"
    floor = load_bench("bench_matching_floor.py")
    floor.build(url, 400)
    nets = floor.networks(url)
    cfg = floor.MatchingConfig()
    assert nets
    for search in (floor.candidates.top_k_for_needs, floor.candidates.top_k_for_offers):
        plain = [search(offers, needs, cfg) for offers, needs in nets]
        with floor.counted(cfg) as counts:
            wrapped = [search(offers, needs, cfg) for offers, needs in nets]
        found = 0
        for (offers, needs), before, after in zip(nets, plain, wrapped, strict=True):
            np.testing.assert_array_equal(before.ids, after.ids)
            np.testing.assert_array_equal(before.scores, after.scores)
            queries = needs if search is floor.candidates.top_k_for_needs else offers
            results = (after.ids >= 0).sum(axis=1)
            minimum = np.nan_to_num(counts.of(queries))
            assert (minimum >= results).all()
            found += int(results.sum())
        assert found > 0  # the network pairs, so the comparison above compared something
        assert counts.fetched >= sum(np.nan_to_num(counts.of(q)).sum() for o, n in nets for q in (o, n))
