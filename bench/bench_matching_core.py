"""Benchmark of the pure matching core: full top-10 recompute against a numpy brute force and geopy.

Run alone: `python bench/bench_matching_core.py [--quick]`. Prints the machine and the figures.
Everything runs single-threaded so that figures compare across machines.
"""

# ruff: noqa: E402  (thread limits must be set before numpy is imported)
from __future__ import annotations

import os

# BLAS and OpenMP threads must be pinned before numpy loads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from geopy.distance import great_circle

from mutualisation.matching.candidates import brute_force_top_k, top_k_for_needs, top_k_for_offers
from mutualisation.matching.scoring import NEED, OFFER, ListingArrays, MatchingConfig

# Urban areas (lat, lon, weight ~ population in millions, spread in km): listings follow people.
CITIES = [
    (48.857, 2.352, 10.8, 25),
    (45.764, 4.836, 2.3, 15),
    (43.297, 5.370, 1.9, 15),
    (43.605, 1.444, 1.4, 12),
    (50.629, 3.057, 1.5, 12),
    (44.838, -0.579, 1.3, 12),
    (43.710, 7.262, 1.0, 10),
    (47.218, -1.554, 1.0, 10),
    (48.573, 7.752, 0.8, 10),
    (48.117, -1.678, 0.7, 10),
    (43.611, 3.877, 0.8, 10),
    (49.443, 1.100, 0.7, 10),
    (45.188, 5.724, 0.7, 10),
    (47.322, 5.041, 0.4, 8),
    (49.258, 4.032, 0.3, 8),
    (45.777, 3.087, 0.5, 8),
    (47.394, 0.685, 0.5, 8),
    (49.894, 2.296, 0.3, 8),
    (48.692, 6.184, 0.4, 8),
    (47.478, -0.563, 0.4, 8),
    (46.580, 0.340, 0.3, 8),
    (43.296, -0.370, 0.3, 8),
    (48.390, -4.486, 0.3, 8),
    (49.183, -0.370, 0.4, 8),
    (45.834, 1.261, 0.3, 8),
    (50.367, 3.080, 1.2, 20),
    (47.238, 6.024, 0.3, 8),
    (42.699, 2.896, 0.3, 8),
]
CATEGORY_MIX = {"equipment": 0.35, "service": 0.25, "skill": 0.2, "know_how": 0.2}
REMOTE_SHARE = {"equipment": 0.0, "service": 0.05, "skill": 0.15, "know_how": 0.3}
RADII = {  # km choices per category; NaN means the configured default
    "equipment": [20.0, 30.0, 50.0, 100.0, np.nan],
    "service": [30.0, 50.0, 100.0, np.nan],
    "skill": [50.0, 100.0, 300.0, np.nan],
    "know_how": [100.0, 300.0, 1000.0, np.nan],
}


def make_listings(rng: np.random.Generator, n: int, kind: int, id_start: int) -> ListingArrays:
    city = np.asarray(CITIES)
    urban = rng.random(n) < 0.6  # 40% of people live outside the big urban areas
    pick = rng.choice(len(CITIES), n, p=city[:, 2] / city[:, 2].sum())
    spread_deg = city[pick, 3] / 111.0
    lat = np.where(urban, city[pick, 0] + rng.normal(0, 1, n) * spread_deg, rng.uniform(43.0, 50.5, n))
    lon = np.where(urban, city[pick, 1] + rng.normal(0, 1, n) * spread_deg * 1.4, rng.uniform(-4.0, 7.5, n))
    names = np.asarray(list(CATEGORY_MIX))
    category = names[rng.choice(len(names), n, p=list(CATEGORY_MIX.values()))]
    remote = np.zeros(n, dtype=bool)
    radius = np.empty(n)
    for name in names:
        mask = category == name
        remote[mask] = rng.random(mask.sum()) < REMOTE_SHARE[name]
        radius[mask] = rng.choice(RADII[name], mask.sum())
    soft = np.isin(category, ["skill", "know_how"])
    start = rng.integers(739000, 739300, n).astype(float)
    open_window = rng.random(n) < 0.5
    quantity = np.where(soft | (rng.random(n) < 0.3), np.nan, rng.integers(1, 10, n).astype(float))
    return ListingArrays(
        id=np.arange(id_start, id_start + n, dtype=np.int64),
        kind=np.full(n, kind, dtype=np.int8),
        category=category,
        subcategory=rng.integers(0, 6, n).astype(np.int64),
        owner=rng.integers(0, n // 2 + 1, n).astype(np.int64),
        territory=rng.integers(0, 35000, n).astype(np.int64),
        lat=lat,
        lon=lon,
        available_from=np.where(open_window, np.nan, start),
        available_until=np.where(
            open_window | (rng.random(n) < 0.5), np.nan, start + rng.integers(7, 365, n)
        ),
        quantity=quantity,
        inexhaustible=soft & (rng.random(n) < 0.7),
        remote_possible=remote,
        max_distance_km=radius,
    )


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.platform()} | {cpu} | {os.cpu_count()} logical cores | Python {platform.python_version()}"
        f" | numpy {np.__version__} | scipy {scipy.__version__} | single-threaded"
    )


def timed(fn, *args, **kwargs):
    # CPU time of this single-threaded process: unlike wall time, other processes sharing the
    # machine do not inflate it, so figures stay comparable between runs.
    start = time.process_time()
    result = fn(*args, **kwargs)
    return time.process_time() - start, result


def engine_run(offers, needs, cfg, coop):
    """Times of the need-side and offer-side full recomputes, then their peak memory in a second run.

    tracemalloc slows numpy allocations down, so memory is measured in a separate, untimed run.
    """
    t_needs, res = timed(top_k_for_needs, offers, needs, cfg, cooperations=coop)
    t_offers, _ = timed(top_k_for_offers, offers, needs, cfg, cooperations=coop)
    tracemalloc.start()
    top_k_for_needs(offers, needs, cfg, cooperations=coop)
    _, peak_needs = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    top_k_for_offers(offers, needs, cfg, cooperations=coop)
    _, peak_offers = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return t_needs, t_offers, max(peak_needs, peak_offers) / 2**20, res


def brute_force_time(offers, needs, cfg, coop, sample: int | None):
    """Brute force over every need, or over a random sample extrapolated linearly in needs."""
    if sample is None or sample >= len(needs):
        seconds, res = timed(brute_force_top_k, offers, needs, cfg, cooperations=coop)
        return seconds, False, res
    idx = np.random.default_rng(1).choice(len(needs), sample, replace=False)
    seconds, _ = timed(brute_force_top_k, offers, needs.take(idx), cfg, cooperations=coop)
    return seconds * len(needs) / sample, True, None


def geopy_loop_time(offers, needs, n_sample: int = 60) -> float:
    """Naive nested loop with geopy on n_sample × n_sample, extrapolated to 1,000 × 1,000."""
    start = time.process_time()
    for i in range(n_sample):
        for j in range(n_sample):
            _ = great_circle((needs.lat[i], needs.lon[i]), (offers.lat[j], offers.lon[j])).km
    return (time.process_time() - start) * (1000 * 1000) / (n_sample * n_sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k only, for a smoke run")
    args = parser.parse_args()
    cfg = MatchingConfig()
    print(machine(), flush=True)
    print(
        f"times are CPU seconds of this process; load average at start {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(f"config: top_k={cfg.top_k}, min_score={cfg.min_score}, decay_km={dict(cfg.decay_km)}", flush=True)
    sizes = [10_000] if args.quick else [10_000, 100_000]
    times = {}
    for n in sizes:
        rng = np.random.default_rng(n)
        offers, needs = make_listings(rng, n, OFFER, 0), make_listings(rng, n, NEED, 10_000_000)
        coop = [tuple(p) for p in rng.integers(0, 35000, (2000, 2))]
        top_k_for_needs(offers.take(np.arange(100)), needs.take(np.arange(100)), cfg)  # warm imports
        t_needs, t_offers, peak_mb, res = engine_run(offers, needs, cfg, coop)
        times[n] = t_needs
        sample = None if n <= 10_000 else 2_000
        t_brute, estimated, brute = brute_force_time(offers, needs, cfg, coop, sample)
        filled = float((res.ids >= 0).sum(axis=1).mean())
        print(f"\n{n:,} offers × {n:,} needs (mean suggestions per need: {filled:.2f})", flush=True)
        print(f"  engine, top-10 offers of every need : {t_needs:8.3f} s", flush=True)
        print(f"  engine, top-10 needs of every offer : {t_offers:8.3f} s", flush=True)
        print(
            f"  peak memory of the engine (tracemalloc, numpy buffers included): {peak_mb:.0f} MB",
            flush=True,
        )
        note = f" (estimated from {sample:,} sampled needs, linear in needs)" if estimated else ""
        print(f"  numpy brute force, need side        : {t_brute:8.3f} s{note}", flush=True)
        print(f"  speed-up over brute force           : {t_brute / t_needs:8.1f} ×", flush=True)
        if brute is not None:
            same = np.array_equal(brute.ids, res.ids)
            print(f"  engine identical to brute force      : {same}", flush=True)
    if len(times) == 2:
        print(f"\ngrowth 10k → 100k (need side): {times[100_000] / times[10_000]:.1f} ×", flush=True)
    rng = np.random.default_rng(7)
    offers, needs = make_listings(rng, 1000, OFFER, 0), make_listings(rng, 1000, NEED, 10_000_000)
    t_geopy = geopy_loop_time(offers, needs)
    t_engine, _ = timed(top_k_for_needs, offers, needs, cfg)
    t_np, _ = timed(brute_force_top_k, offers, needs, cfg)
    print("\n1,000 × 1,000:", flush=True)
    print(
        f"  naive geopy nested loop (distances only, from 60 × 60 extrapolated): {t_geopy:8.3f} s", flush=True
    )
    print(
        f"  numpy brute force (full score): {t_np:8.3f} s ({t_geopy / t_np:.0f} × faster than geopy)",
        flush=True,
    )
    print(
        f"  engine (full score): {t_engine:8.3f} s ({t_geopy / t_engine:.0f} × faster than geopy)", flush=True
    )
    # The geopy loop is quadratic: at n × n it costs (n / 1,000)² times the 1,000 × 1,000 figure,
    # while the engine was measured above at that size. Same run, same machine.
    for n, t_n in sorted(times.items()):
        t_geopy_n = t_geopy * (n / 1000) ** 2
        print(
            f"  at {n:,} × {n:,}: geopy loop ≈ {t_geopy_n:,.0f} s (extrapolated), engine {t_n:.2f} s: "
            f"{t_geopy_n / t_n:,.0f} × faster",
            flush=True,
        )


if __name__ == "__main__":
    main()
