"""Issue 10, item 1, in one process: how SQLite transactions begin (see db._sqlite_begin).

A writer's reads and its write belong to one transaction that holds the write lock from its first
statement, so a second writer waits for the first instead of failing with "database is locked";
a reading session never holds the lock, and switches to a writer before it writes.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from mutualisation.db import (
    SQLITE_WAL_CHECKPOINT_PAGES,
    make_engine,
    make_session_factory,
    reading_session,
    transaction,
)


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'begin.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield make_session_factory(engine)
    engine.dispose()


def _value(session) -> int:
    return int(session.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one())


def test_two_writers_that_read_then_write_both_succeed_one_after_the_other(sessions):
    first_has_read = threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        first_has_read.wait()
        try:
            with sessions() as session, transaction(session):
                current = _value(session)  # waits here until the first writer commits
                session.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": current + 1})
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    with sessions() as session, transaction(session):
        current = _value(session)
        first_has_read.set()
        thread.join(timeout=0.5)  # the second writer gets every chance to read in between
        session.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": current + 1})
    thread.join(timeout=30)

    assert errors == []
    with sessions() as session:
        assert _value(session) == 2  # no lost update


def test_a_reading_session_never_blocks_a_writer_and_writes_without_upgrading_its_read(sessions):
    reader = reading_session(sessions)
    assert _value(reader) == 0  # a read transaction is open on the reader

    done = threading.Event()

    def writer() -> None:
        with sessions() as session, transaction(session):
            session.execute(text("UPDATE counter SET value = 10 WHERE id = 1"))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert done.wait(timeout=5)  # it did not wait for the reader
    thread.join()

    # The reader's snapshot is older than the writer's commit: upgrading it would fail at once.
    # Inside the switched transaction, a read then a write hold the lock against a third writer.
    third = threading.Thread(target=_add, args=(sessions, 100))
    with transaction(reader):
        current = _value(reader)
        third.start()
        third.join(timeout=0.5)  # it must wait for this transaction, not slip in between
        reader.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": current + 1})
    third.join(timeout=30)
    assert _value(reader) == 111
    reader.close()


def _add(sessions, amount: int) -> None:
    with sessions() as session, transaction(session):
        session.execute(text("UPDATE counter SET value = value + :a WHERE id = 1"), {"a": amount})


def test_a_transaction_may_skip_its_key_checks_and_the_next_one_checks_them_again(tmp_path):
    from mutualisation.db import SQLITE_UNCHECKED_KEYS

    engine = make_engine(f"sqlite:///{tmp_path / 'keys.sqlite3'}", pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id REFERENCES parent (id))"))
    sessions = make_session_factory(engine)
    with sessions() as session, transaction(session):
        session.connection(execution_options={SQLITE_UNCHECKED_KEYS: True})
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 0
        session.execute(text("INSERT INTO child VALUES (1, 1)"))  # unchecked: accepted
    for _ in range(2):  # the same pooled connection, checking again, whatever the first one did
        with sessions() as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            with pytest.raises(Exception, match="FOREIGN KEY"), transaction(session):
                session.execute(text("INSERT INTO child VALUES (2, 2)"))
    engine.dispose()


def test_commits_checkpoint_the_write_ahead_log_in_small_steps(sessions):
    """Each commit that passes `SQLITE_WAL_CHECKPOINT_PAGES` pages copies them into the database and
    the log starts again from its beginning: its file never holds many more pages than that, so no
    commit waits for a large copy (db._sqlite_pragmas)."""
    with sessions() as session:
        assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == SQLITE_WAL_CHECKPOINT_PAGES
        frame = session.execute(text("PRAGMA page_size")).scalar_one() + 24  # a page and its header
        database = session.get_bind().url.database
    with sessions() as session, transaction(session):
        session.execute(text("CREATE TABLE payload (id INTEGER PRIMARY KEY, step INTEGER, body BLOB)"))
    wal, largest = Path(f"{database}-wal"), 0
    for step in range(40):  # about 30 pages of new rows a commit: 1,200 pages in all
        with sessions() as session, transaction(session):
            session.execute(text(_THOUSANDS_OF_ROWS), {"v": step})
        largest = max(largest, wal.stat().st_size)
    with sessions() as session:  # more than SQLite's default threshold (1,000 pages) was written
        assert session.execute(text("PRAGMA page_count")).scalar_one() > 1000
    assert largest < 200 * frame  # where SQLite's default lets it reach 1,000 pages and more


_THOUSANDS_OF_ROWS = (  # 120 rows of 1 kB: about 30 pages
    "INSERT INTO payload (step, body) SELECT :v, randomblob(1000) FROM "
    "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120) SELECT i FROM n)"
)
