"""Matching's writers chosen as deadlock victims by PostgreSQL run again, from real connections.

- A listing that changed category: its update locks the new category's `matching_state` row,
  then the old one's.
- A full recompute locks the suggestions it rewrites, then every category's state.

Another transaction holding the second lock and then asking for the first closes a cycle;
PostgreSQL aborts the use case (it waited first, so its deadlock check fires first).
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, select, text

from mutualisation.db import make_engine
from mutualisation.matching import engine as matching
from mutualisation.matching import incremental, recompute
from mutualisation.matching.models import Suggestion
from tests.committed import committing
from tests.integration.test_matching_engine import CFG, expected_pairs, random_network, stored_pairs

_LOCK_STATE = text("SELECT version FROM matching_state WHERE category = :category FOR UPDATE")
_LOCK_ROWS = text(
    "SELECT id FROM suggestions WHERE offer_id = :listing_id OR need_id = :listing_id FOR UPDATE"
)
_WAITING = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)


@pytest.fixture
def update_engine(engine):
    """The update's own connections: PostgreSQL checks a waiting lock for a cycle once, after
    `deadlock_timeout`; the update's check must come after the other transaction began to wait
    (the other side sets a long timeout), whatever the machine's pace: 3 s instead of 1 s."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and deadlocks: PostgreSQL only (SQLite serialises all writers by design)")
    made = make_engine(engine.url.render_as_string(hide_password=False))
    event.listen(made, "connect", lambda dbapi, _record: dbapi.execute("SET deadlock_timeout = '3s'"))
    yield made
    made.dispose()


@pytest.fixture
def factory(engine, update_engine):
    """Sessions on the update's own connections that really commit; cleaned up afterwards."""
    with committing(engine, update_engine) as made:
        yield made


@pytest.fixture
def session(factory):
    made = factory()
    yield made
    made.close()


def _wait_until_someone_waits_for_a_lock(conn, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not conn.scalar(_WAITING):
        assert time.monotonic() < deadline, "the use case never waited for the lock held against it"
        time.sleep(0.02)


def _attempts(monkeypatch, module, name: str) -> list[BaseException | None]:
    """Each run of `module.name`: the error it raised, or None."""
    attempts: list[BaseException | None] = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        try:
            result = real(*args, **kwargs)
        except BaseException as error:
            attempts.append(error)
            raise
        attempts.append(None)
        return result

    monkeypatch.setattr(module, name, counted)
    return attempts


def _close_a_cycle(engine, use_case, first: tuple, second: tuple) -> list[BaseException]:
    """Another transaction takes the `first` lock (statement, parameters); `use_case` runs in a
    thread until it waits for that lock; the other transaction then asks for the `second` lock,
    one the use case holds. What `use_case` raised, if anything."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            use_case()
        except BaseException as error:  # reported to the test's thread
            errors.append(error)

    with engine.connect() as other:
        other.begin()
        other.execute(text("SET LOCAL deadlock_timeout = '60s'"))  # the use case is the one to check
        other.execute(*first)
        thread = threading.Thread(target=run)
        thread.start()
        with engine.connect() as watcher:
            _wait_until_someone_waits_for_a_lock(watcher)
        other.execute(*second)  # the cycle: PostgreSQL aborts the use case
        other.rollback()
        thread.join(60)
    assert not thread.is_alive()
    return errors


def _sqlstate(error: BaseException | None) -> str | None:
    return getattr(getattr(error, "orig", error), "sqlstate", None)


def _ran_twice_after_a_deadlock(attempts: list[BaseException | None]) -> bool:
    first = attempts[0] if attempts else None
    return len(attempts) == 2 and _sqlstate(first) == "40P01" and attempts[1] is None


def _described(attempts: list[BaseException | None]) -> str:
    """Each attempt's class, its driver error's class and SQLSTATE: this check failed once in a
    full run (and never alone) with a list whose repr read as a deadlock, then a success."""
    return "; ".join(
        "success"
        if a is None
        else f"{type(a).__name__} ({type(getattr(a, 'orig', a)).__name__}, {_sqlstate(a)})"
        for a in attempts
    )


def _ranked_offer(session, listings):
    held = session.execute(
        select(Suggestion.offer_id).where(
            Suggestion.offer_rank.is_not(None), Suggestion.need_rank.is_not(None)
        )
    ).scalars()
    mine = {x.id: x for x in listings}
    return next(mine[i] for i in held if i in mine)


def test_an_update_aborted_as_a_deadlock_victim_runs_again(engine, factory, session, monkeypatch):
    listings = random_network(session, 41)
    session.commit()
    matching.full_recompute(session, CFG, coop=[])
    listing = _ranked_offer(session, listings)
    old = listing.category
    new = next(c for c in sorted({x.category for x in listings}) if c != old)
    listing.category, listing.subcategory = new, None  # it will lock `new`, then `old`
    session.commit()
    attempts = _attempts(monkeypatch, incremental, "_update_for_listing")

    errors = _close_a_cycle(
        engine,
        lambda: matching.update_for_listing(session, listing.id, CFG, coop=[]),
        (_LOCK_STATE, {"category": old}),
        (_LOCK_STATE, {"category": new}),
    )

    assert errors == []
    assert _ran_twice_after_a_deadlock(attempts), _described(attempts)
    # The retry did the whole update: the stored lists are those of a full recompute.
    with factory() as check:
        assert stored_pairs(check, [x.id for x in listings]) == expected_pairs(listings)


def test_a_full_recompute_aborted_as_a_deadlock_victim_runs_again(engine, factory, session, monkeypatch):
    listings = random_network(session, 42)
    session.commit()
    matching.full_recompute(session, CFG, coop=[])
    listing = _ranked_offer(session, listings)
    listing.latitude += 0.3  # its rows will be rewritten, then the states locked
    session.commit()
    attempts = _attempts(monkeypatch, recompute, "_full_recompute")

    errors = _close_a_cycle(
        engine,
        lambda: matching.full_recompute(session, CFG, coop=[]),
        (_LOCK_STATE, {"category": listing.category}),
        (_LOCK_ROWS, {"listing_id": listing.id}),
    )

    assert errors == []
    assert _ran_twice_after_a_deadlock(attempts), _described(attempts)
    with factory() as check:
        assert stored_pairs(check, [x.id for x in listings]) == expected_pairs(listings)
