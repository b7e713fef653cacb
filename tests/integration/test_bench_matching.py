"""The matching benchmark's own measurements (`bench/bench_matching.py`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

from mutualisation.db import make_engine
from mutualisation.migrate import upgrade


def load_bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_matching.py"
    spec = importlib.util.spec_from_file_location("bench_matching_under_test", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
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
