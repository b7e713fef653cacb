"""Several worker processes keep the suggestions exact, each catching up on the others' updates.

Real processes, each with its own connection and snapshots (`matching_worker`), take turns as a
load balancer would send them updates: every update lands on a worker whose copy of the category
another worker's updates made stale. Each must catch up from the log of changes instead of
reloading the category, and the stored suggestions must equal a full recompute's.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from mutualisation.matching import engine as matching
from tests.committed import committing
from tests.integration.test_matching_engine import (
    CFG,
    change_together,
    expected_pairs,
    random_change,
    random_network,
    stored_pairs,
)

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


@pytest.fixture
def factory(engine):
    """Sessions that really commit (the workers read what they write); cleaned up afterwards."""
    with committing(engine) as made:
        yield made


class _Worker:
    def __init__(self, url: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.matching_worker", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the worker exited ({self.process.wait()})"
        return line.strip()

    def send(self, listing_id: int) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{listing_id}\n")
        self.process.stdin.flush()

    def answer(self) -> list[str]:
        """How the update sent last found its copy of the category, once it committed."""
        return json.loads(self._line())

    def update(self, listing_id: int) -> list[str]:
        self.send(listing_id)
        return self.answer()

    def stop(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        self.process.wait(30)


@pytest.mark.parametrize("seed", [51, 52])
def test_workers_taking_turns_catch_up_instead_of_reloading(engine, factory, seed):
    session = factory()
    listings = random_network(session, seed)
    session.commit()
    matching.full_recompute(session, CFG, coop=[])
    url = engine.url.render_as_string(hide_password=False)
    workers = [_Worker(url) for _ in range(WORKERS)]
    # Who last updated each category, and when each worker last did: a worker must catch up
    # exactly when another one updated the category since its own last update there.
    seen: dict[tuple[int, str], int] = {}
    expected, how = [], []

    def update(turn: int, w: int, listing) -> None:
        if (w, listing.category) in seen:
            others = [t for (v, c), t in seen.items() if c == listing.category and v != w]
            expected.append(
                "caught_up" if max(others, default=-1) > seen[(w, listing.category)] else "current"
            )
        else:
            expected.append("loaded")
        how.extend(workers[w].update(listing.id))
        seen[(w, listing.category)] = turn

    try:
        rng = random.Random(seed)
        turn = 0
        for w in range(WORKERS):  # each loads both categories once, as a worker's first updates do
            for category in ("equipment", "skill"):
                update(turn, w, next(x for x in listings if x.category == category))
                turn += 1
        for listing in rng.sample(listings, 12):
            change = random_change(listing, rng, widen=dict(max_distance_km=500.0, remote_possible=True))
            session.commit()
            update(turn, turn % WORKERS, listing)
            turn += 1
            assert stored_pairs(session, [x.id for x in listings]) == expected_pairs(listings), change
    finally:
        for worker in workers:
            worker.stop()
        session.close()
    assert how == expected
    assert how.count("caught_up") >= 4 and how.count("loaded") == 2 * WORKERS


@pytest.mark.parametrize("seed", [64, 68, 72])  # inexact before pending listings went first
def test_workers_updating_one_category_at_once_keep_the_suggestions_exact(engine, factory, seed):
    """Both workers update listings of the same category at the same moment: the category's
    lock orders them, and the second catches up on the first before its own update."""
    session = factory()
    listings = random_network(session, seed)
    session.commit()
    matching.full_recompute(session, CFG, coop=[])
    workers = [_Worker(engine.url.render_as_string(hide_password=False)) for _ in range(WORKERS)]
    rng = random.Random(seed)
    how = []
    try:
        for _ in range(8):
            _, both = change_together(listings, rng, WORKERS)
            session.commit()
            for worker, listing in zip(workers, both, strict=True):
                worker.send(listing.id)
            for worker in workers:
                how += worker.answer()
            assert stored_pairs(session, [x.id for x in listings]) == expected_pairs(listings)
    finally:
        for worker in workers:
            worker.stop()
        session.close()
    assert "log_too_short" not in how
    assert how.count("loaded") <= 2 * WORKERS  # each worker loads each category once at most
    assert "caught_up" in how
