"""Benchmark of the matching engine on a database: full recompute, idle recompute, incremental updates.

Run alone: `python bench/bench_matching.py [--size 100000] [--quick]`. Synthesises N offers and N needs
straight into a fresh SQLite database (and a PostgreSQL one when MUTUALISATION_BENCH_DATABASE_URL is set;
its public schema is wiped), then times:
- the full recompute (load, match, write) from an empty suggestions table;
- a second full recompute with nothing changed (it must write nothing);
- 200 single-listing updates (`update_for_listing`), p50 and p99, the first one (which loads the
  category's snapshot) included.
Goals: full run <= 15 s at 100k x 100k; incremental p99 <= 10 ms.
"""

# ruff: noqa: E402  (thread limits must be set before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import datetime as dt
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_matching_core import machine, make_listings
from sqlalchemy import insert, select, text

from mutualisation.accounts.models import User
from mutualisation.db import make_engine, make_session_factory, utcnow
from mutualisation.listings.models import Listing
from mutualisation.matching import engine as matching
from mutualisation.matching.scoring import OFFER, MatchingConfig
from mutualisation.migrate import upgrade
from mutualisation.territories.models import Territory

N_TERRITORIES = 8
N_OWNERS = 64
INCREMENTAL_UPDATES = 200


def _none(value: float):
    return None if math.isnan(value) else float(value)


def _date(value: float):
    return None if math.isnan(value) else dt.date.fromordinal(int(value))


def synthesise(session, n: int, seed: int = 7) -> list[int]:
    """N offers and N needs over a few territories and owners, with bulk inserts."""
    rng = np.random.default_rng(seed)
    now = utcnow()
    session.execute(
        insert(Territory),
        [
            {
                "code": f"99{i:03d}",
                "kind": "commune",
                "name": f"Bench {i}",
                "search_name": f"bench {i}",
                "department_code": "99",
                "population": 1000,
                "latitude": 47.0,
                "longitude": 2.0,
                "coordinates_source": "town_hall",
            }
            for i in range(N_TERRITORIES)
        ],
    )
    territory_ids = list(session.scalars(select(Territory.id).order_by(Territory.id)))
    session.execute(
        insert(User),
        [
            {
                "email": f"bench{i}@example.org",
                "name": f"Bench {i}",
                "role": "technician",
                "territory_id": territory_ids[i % N_TERRITORIES],
                "password_hash": "x",
            }
            for i in range(N_OWNERS)
        ],
    )
    owners = list(session.scalars(select(User.id, User.territory_id).order_by(User.id)).all())
    owner_territory = dict(session.execute(select(User.id, User.territory_id)).all())
    for kind in (OFFER, 1):
        arrays = make_listings(rng, n, kind, 0)
        rows = []
        for i in range(n):
            owner = owners[int(rng.integers(0, len(owners)))]
            sub = int(arrays.subcategory[i])
            rows.append(
                {
                    "kind": "offer" if kind == OFFER else "need",
                    "category": str(arrays.category[i]),
                    "subcategory": f"sub{sub}" if sub else None,
                    "title": "bench",
                    "quantity": _none(arrays.quantity[i]),
                    "available_from": _date(arrays.available_from[i]),
                    "available_until": _date(arrays.available_until[i]),
                    "inexhaustible": bool(arrays.inexhaustible[i]),
                    "remote_possible": bool(arrays.remote_possible[i]),
                    "max_distance_km": _none(arrays.max_distance_km[i]),
                    "latitude": float(arrays.lat[i]),
                    "longitude": float(arrays.lon[i]),
                    "territory_id": owner_territory[owner],
                    "owner_id": owner,
                    "status": "published",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for start in range(0, n, 20000):
            session.connection().execute(insert(Listing.__table__), rows[start : start + 20000])
    session.commit()
    return list(session.scalars(select(Listing.id)))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def run(url: str, n: int, incremental: bool) -> None:
    engine = make_engine(url)
    if url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine, "heads")
    factory = make_session_factory(engine)
    # As the app does: flushes of listings bump their category's data version.
    matching.attach_flush_listener(factory)
    session = factory()
    cfg = MatchingConfig()
    started = time.perf_counter()
    ids = synthesise(session, n)
    print(f"  synthesised {n:,} offers + {n:,} needs in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    counts = matching.full_recompute(session, cfg, coop=[])
    total = time.perf_counter() - started
    t = counts.timings
    print(
        f"  full recompute: {total:.2f} s (load {t['load']:.2f}, match {t['match']:.2f}, "
        f"write {t['write']:.2f}) — {counts.inserted:,} inserted"
    )
    started = time.perf_counter()
    again = matching.full_recompute(session, cfg, coop=[])
    total = time.perf_counter() - started
    t = again.timings
    print(
        f"  second run, nothing changed: {total:.2f} s (load {t['load']:.2f}, match {t['match']:.2f}, "
        f"write {t['write']:.2f}) — {again.inserted} inserted, {again.updated} updated, "
        f"{again.deleted} deleted, {again.unchanged:,} unchanged"
    )
    if incremental:
        rng = np.random.default_rng(11)
        durations, phases = [], []
        for listing_id in rng.choice(ids, INCREMENTAL_UPDATES, replace=False).tolist():
            # Through the ORM, as the listings' services do: the flush bumps the category's version.
            listing = session.get(Listing, listing_id)
            listing.max_distance_km = float(rng.choice([20.0, 60.0, 150.0]))
            session.commit()
            started = time.perf_counter()
            one = matching.update_for_listing(session, listing_id, cfg, coop=[], notify=True)
            durations.append((time.perf_counter() - started) * 1000)
            phases.append([one.timings[p] * 1000 for p in ("load", "match", "write")])
        print(
            f"  incremental update ({INCREMENTAL_UPDATES} listings): p50 {percentile(durations, 50):.1f} ms, "
            f"p99 {percentile(durations, 99):.1f} ms, max {max(durations):.1f} ms "
            "(median load {:.1f}, match {:.1f}, write and notify {:.1f} ms)".format(
                *np.median(phases, axis=0)
            )
        )
    session.close()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, action="append", help="offers (and needs) to synthesise")
    parser.add_argument("--quick", action="store_true", help="2,000 only, for a smoke run")
    args = parser.parse_args()
    sizes = args.size or ([2000] if args.quick else [10_000, 100_000])
    print(machine())
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    targets = [("SQLite", None)]
    if os.environ.get("MUTUALISATION_BENCH_DATABASE_URL"):
        targets.append(("PostgreSQL", os.environ["MUTUALISATION_BENCH_DATABASE_URL"]))
    for label, url in targets:
        for n in sizes:
            print(f"{label}, {n:,} offers x {n:,} needs:")
            with tempfile.TemporaryDirectory() as tmp:
                run(url or f"sqlite:///{tmp}/bench.sqlite3", n, incremental=n == max(sizes))


if __name__ == "__main__":
    main()
