"""Benchmark of the matching engine on a database, against a reference k-d tree top-10 of the same run.

Run alone: `python bench/bench_matching.py [--size 100000] [--quick]`. Builds a fresh SQLite database
(and a PostgreSQL one when MUTUALISATION_BENCH_DATABASE_URL is set; its public schema is wiped),
loads the communes and synthesises N offers and N needs with the generator of
`mutualisation demo synth` (`listings.synth.synthesise`: one inactive owner per commune), then:
- the reference: per category, a scipy cKDTree over the offers and a top-10 nearest query for every
  need (positions only, no rule): the least any exact top-10 must do, timed in this run;
- `mutualisation match run`, as a child process (the CLI itself), from an empty suggestions table,
  then again with nothing changed; the peak memory is the child's maximum resident set;
- 200 incremental updates on publish (`update_for_listing`) with the database at N, p50 and p99;
  then 200 more with two workers taking turns (each catches up on the other's changes from the
  log), and 10 reloading the category instead, as workers did before that log.
Goals (issue 12), printed with PASS or MISS: matching step <= 2 x the reference; first run <= 15 s on
SQLite, <= 20 s on PostgreSQL; second run <= 5 s; incremental p99 <= 15 ms; peak memory <= 500 MB.
"""

# ruff: noqa: E402  (thread limits must be set before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import compileall
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import cpu_name, load_average
from scipy.spatial import cKDTree
from sqlalchemy import func, select, text

from mutualisation.db import make_engine, make_session_factory
from mutualisation.geo import trig_parts
from mutualisation.listings.models import Listing
from mutualisation.listings.synth import synthesise
from mutualisation.matching import engine as matching
from mutualisation.matching import snapshots
from mutualisation.matching.config import MatchingConfig
from mutualisation.matching.models import Suggestion
from mutualisation.migrate import upgrade
from mutualisation.territories.services import load_gazetteer

INCREMENTAL_UPDATES = 200
RELOADS = 10  # updates timed reloading the category, as before the log of changes: seconds each
GOALS = {"match_ratio": 2.0, "first_sqlite": 15.0, "first_postgresql": 20.0, "second": 5.0}
GOAL_P99_MS, GOAL_PEAK_MB = 15.0, 500.0


def build(url: str, n: int) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine, "heads")
    session = make_session_factory(engine)()
    load_gazetteer(session)
    report = synthesise(session, n, n, seed=1)
    session.commit()
    if engine.dialect.name == "postgresql":  # what autovacuum does in production
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()
    published = session.scalar(select(func.count()).where(Listing.status == "published"))
    print(f"  synthesised {n:,} offers + {n:,} needs in {report.seconds:.1f} s ({published:,} published)")
    session.close()
    engine.dispose()


def reference_seconds(url: str, k: int = 10) -> tuple[float, float]:
    """A k-d tree top-k per category on the published listings' positions, wall seconds: the
    needs' top-k among the offers, then the same plus the offers' top-k among the needs (the
    engine computes both sides)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Listing.category, Listing.kind, Listing.latitude, Listing.longitude).where(
                Listing.status == "published", Listing.latitude.is_not(None)
            )
        ).all()
    engine.dispose()
    cat = np.asarray([r[0] for r in rows])
    offer = np.asarray([r[1] == "offer" for r in rows])
    lat, lon = np.asarray([r[2] for r in rows]), np.asarray([r[3] for r in rows])
    times = []
    for both in (False, True):
        started = time.perf_counter()
        sin_lat, cos_lat, lon_rad = trig_parts(lat, lon)
        xyz = np.c_[cos_lat * np.cos(lon_rad), cos_lat * np.sin(lon_rad), sin_lat]
        for name in np.unique(cat):
            o, q = xyz[(cat == name) & offer], xyz[(cat == name) & ~offer]
            for targets, queries in [(o, q), *([(q, o)] if both else [])]:
                if len(targets) and len(queries):
                    cKDTree(targets).query(queries, k=min(k, len(targets)))
        times.append(time.perf_counter() - started)
    return times[0], times[1]


# The child: the CLI, printing its peak resident set (KiB) as it exits. VmHWM is per address space
# and starts again at exec; where /proc is missing, ru_maxrss (which may include the parent's).
CHILD = """
import atexit, sys


def _peak_kib():
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
atexit.register(lambda: print('peak_kib', _peak_kib(), file=sys.stderr))
from mutualisation.cli import main
sys.argv[0] = 'mutualisation'
main()
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compile_bytecode() -> None:
    """The app's bytecode, as an install leaves it (pip compiles it; `make install` does too), so
    that the child's time is not that of recompiling every module where PYTHONDONTWRITEBYTECODE is set."""
    compileall.compile_dir(str(ROOT / "src" / "mutualisation"), quiet=1)


def match_run(url: str, instance: str) -> dict[str, float]:
    """`mutualisation match run` in a child process: its wall time, phases and peak memory."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MUTUALISATION_DATABASE_URL=url)
    env.update(MUTUALISATION_INSTANCE_PATH=instance, MUTUALISATION_ENV="development")
    # The child reports its own peak resident set as it exits: VmHWM, the high-water mark of the
    # memory it has had since it started the interpreter. Not getrusage's ru_maxrss: Linux carries
    # that across fork and exec, so a child of this bench, which by then holds the SQLite run's
    # snapshots, reported the parent's 800 MB and more as its own (RUSAGE_CHILDREN, besides, only
    # keeps the largest child so far).
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "match", "run"], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    out = done.stdout
    phases = {k: float(v) for k, v in re.findall(r"(load|match|write) ([\d.]+) s", out)}
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (inserted|updated|deleted|unchanged)", out)}
    found = re.search(r"peak_kib (\d+)", done.stderr)
    peak = int(found.group(1)) / 1024 if found else float("nan")
    return {"wall": wall, "cpu": cpu, "peak_mb": peak, **phases, **counts}


def _updating(url: str) -> tuple[Any, Any, list[int], list[int]]:
    """(engine, session, published listing ids, the first published id of each category) for
    incremental updates, with the flush listener attached as the app attaches it (flushes bump the
    data versions)."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    matching.attach_flush_listener(factory)
    session = factory()
    # In id order: without it PostgreSQL returns the rows in no fixed order and the sample changes.
    published = session.execute(
        select(Listing.id, Listing.category).where(Listing.status == "published").order_by(Listing.id)
    )
    ids, categories = zip(*published.all(), strict=True)
    return engine, session, list(ids), [ids[categories.index(c)] for c in sorted(set(categories))]


def incremental(url: str) -> tuple[float, float, list[float]]:
    engine, session, ids, firsts = _updating(url)
    cfg = MatchingConfig()
    rng = np.random.default_rng(11)
    # A running worker holds each category's snapshot: its first update per category loads it
    # (timed apart, as `cold`); the percentiles are those of the updates that follow.
    cold, durations, phases = [], [], []
    for n, listing_id in enumerate([*firsts, *rng.choice(ids, INCREMENTAL_UPDATES, replace=False).tolist()]):
        # Through the ORM, as the listings' services do: the flush bumps the category's version.
        listing = session.get(Listing, listing_id)
        listing.max_distance_km = float(rng.choice([20.0, 60.0, 150.0]))
        session.commit()
        started = time.perf_counter()
        one = matching.update_for_listing(session, listing_id, cfg, coop=None, notify=True)
        (cold if n < len(firsts) else durations).append((time.perf_counter() - started) * 1000)
        phases.append([one.timings[p] * 1000 for p in ("load", "match", "write")])
    session.close()
    engine.dispose()
    p50, p99 = (float(np.percentile(durations, q)) for q in (50, 99))
    print(f"  incremental, first update of each category (loads its snapshot): max {max(cold):.0f} ms")
    return p50, p99, list(np.median(phases[len(firsts) :], axis=0))


def incremental_workers(
    url: str, updates: int, workers: int = 2, reload: bool = False
) -> tuple[float, float]:
    """p50 and p99 (ms) of updates when `workers` processes take turns, as behind a load balancer:
    each update lands on a worker whose snapshot another worker's updates made stale. They catch
    up from the log of changes; with `reload`, as before that log, they reload the category. Each
    process's snapshots are played by swapping `snapshots.SNAPSHOTS`; each worker's first update of
    a category (which loads it) is not counted."""
    engine, session, ids, firsts = _updating(url)
    cfg = MatchingConfig()
    rng = np.random.default_rng(13)
    kept: list[dict] = [{} for _ in range(workers)]
    limit = snapshots.CATCH_UP_MAX_LISTINGS
    snapshots.CATCH_UP_MAX_LISTINGS = -1 if reload else limit
    durations = []
    try:
        plan = [(w, i, False) for w in range(workers) for i in firsts]
        plan += [
            (n % workers, i, True) for n, i in enumerate(rng.choice(ids, updates, replace=False).tolist())
        ]
        for worker, listing_id, counted in plan:
            listing = session.get(Listing, listing_id)
            listing.max_distance_km = float(rng.choice([20.0, 60.0, 150.0]))
            session.commit()
            snapshots.SNAPSHOTS.clear()
            snapshots.SNAPSHOTS.update(kept[worker])
            started = time.perf_counter()
            matching.update_for_listing(session, listing_id, cfg, coop=None, notify=True)
            if counted:
                durations.append((time.perf_counter() - started) * 1000)
            kept[worker] = dict(snapshots.SNAPSHOTS)
    finally:
        snapshots.CATCH_UP_MAX_LISTINGS = limit
        snapshots.forget_snapshots()
        session.close()
        engine.dispose()
    p50, p99 = (float(np.percentile(durations, q)) for q in (50, 99))
    return p50, p99


def goal(label: str, value: float, limit: float, unit: str) -> None:
    verdict = "PASS" if value <= limit else "MISS"
    print(f"  {verdict} {label}: {value:.2f} {unit} (goal <= {limit:g} {unit}, {value / limit:.2f} of it)")


def count_suggestions(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        total = int(conn.scalar(select(func.count()).select_from(Suggestion)) or 0)
    engine.dispose()
    return total


def run(label: str, url: str, n: int, instance: str) -> None:
    build(url, n)
    ref, ref_both = reference_seconds(url)
    print(
        f"  reference k-d tree top-10 (scipy cKDTree per category): {ref:.2f} s for the needs, "
        f"{ref_both:.2f} s for both sides"
    )
    compile_bytecode()
    first = match_run(url, instance)
    stored = count_suggestions(url)
    print(
        f"  match run, first: {first['wall']:.2f} s wall, {first['cpu']:.2f} s CPU "
        f"(load {first['load']:.2f}, match {first['match']:.2f}, write {first['write']:.2f}) — "
        f"{stored:,} suggestions stored, peak {first['peak_mb']:.0f} MB"
    )
    second = match_run(url, instance)
    print(
        f"  match run, nothing changed: {second['wall']:.2f} s wall, {second['cpu']:.2f} s CPU "
        f"(load {second['load']:.2f}, "
        f"match {second['match']:.2f}, write {second['write']:.2f}) — {second.get('inserted', 0)} inserted, "
        f"{second.get('updated', 0)} updated, {second.get('deleted', 0)} deleted"
    )
    p50, p99, median = incremental(url)
    print(
        f"  incremental update ({INCREMENTAL_UPDATES} listings): p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        "(median load {:.1f}, match {:.1f}, write and notify {:.1f} ms)".format(*median)
    )
    w50, w99 = incremental_workers(url, INCREMENTAL_UPDATES)
    r50, r99 = incremental_workers(url, RELOADS, reload=True)
    print(
        f"  incremental update, two workers taking turns ({INCREMENTAL_UPDATES} listings): p50 {w50:.1f} ms, "
        f"p99 {w99:.1f} ms, catching up from the log; reloading the category instead ({RELOADS} "
        f"listings): p50 {r50:.0f} ms, p99 {r99:.0f} ms"
    )
    first_goal = GOALS["first_postgresql" if url.startswith("postgresql") else "first_sqlite"]
    print(f"  goals ({label}, {n:,} x {n:,}; load average now {load_average()}):")
    goal("matching step / reference", first["match"] / ref, GOALS["match_ratio"], "x")
    print(f"  INFO matching step / reference of both sides: {first['match'] / ref_both:.2f} x")
    goal("first match run (wall)", first["wall"], first_goal, "s")
    # On PostgreSQL the server's own CPU (COPY, indexes) is not in the process's figure.
    goal("first match run (CPU seconds of the process)", first["cpu"], first_goal, "s")
    goal("second match run, nothing changed (wall)", second["wall"], GOALS["second"], "s")
    goal("second match run, nothing changed (CPU)", second["cpu"], GOALS["second"], "s")
    goal("incremental p99", p99, GOAL_P99_MS, "ms")
    goal("incremental p99, two workers taking turns", w99, GOAL_P99_MS, "ms")
    goal("peak memory of match run", first["peak_mb"], GOAL_PEAK_MB, "MB")
    print(f"  {'PASS' if stored > 1_000_000 else 'INFO'} suggestions stored: {stored:,}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=None, help="offers (and needs) to synthesise")
    parser.add_argument("--quick", action="store_true", help="5,000 only, for a smoke run")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even when configured")
    parser.add_argument("--postgresql-only", action="store_true", help="skip SQLite (PostgreSQL must be set)")
    args = parser.parse_args()
    n = args.size or (5000 if args.quick else 100_000)
    print(
        f"{cpu_name()} | {os.cpu_count()} logical cores | Python {sys.version.split()[0]} "
        f"| numpy {np.__version__}"
    )
    print(f"load average (1, 5, 15 min): {load_average()}")
    targets = [("SQLite", None)]
    if os.environ.get("MUTUALISATION_BENCH_DATABASE_URL") and not args.sqlite_only:
        targets.append(("PostgreSQL", os.environ["MUTUALISATION_BENCH_DATABASE_URL"]))
    if args.postgresql_only:
        targets = targets[1:]
    for label, url in targets:
        print(f"{label}, {n:,} offers x {n:,} needs:", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            run(label, url or f"sqlite:///{tmp}/bench.sqlite3", n, tmp)


if __name__ == "__main__":
    main()
