"""Engine, sessions, the declarative Base and the one transaction helper.

Services receive a Session and wrap their writes in `transaction(session)`: it commits
once on success and rolls back on any exception. Views, models and queries never commit.

On SQLite a transaction starts with BEGIN IMMEDIATE (it takes the write lock first, waiting its
turn under the busy timeout), except in a `reading_session` (GET requests), whose transactions
are plain reads until `transaction` switches the session to writing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases.

    SQLite has no time zone type and hands back naive values; normalising here means the
    rest of the code can always compare aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# On SQLite, how a transaction starts is an execution option of the engine a session is bound to.
BEGIN_MODE = "mutualisation_sqlite_begin"
# On SQLite, an execution option of a connection: its transactions check no foreign key. Only for
# a bulk write whose rows reference rows it read in the same transaction, which holds the write
# lock from its first statement (BEGIN IMMEDIATE): nobody can delete them before it commits.
SQLITE_UNCHECKED_KEYS = "mutualisation_sqlite_unchecked_keys"
_KEYS_UNCHECKED = "mutualisation_keys_unchecked"  # DBAPI connection info: foreign_keys is OFF
# Session.info key: the writing engine of a session whose transactions start as reads.
_WRITE_BIND = "mutualisation_write_bind"
_WRITE_DEPTH = "mutualisation_write_depth"


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that
        # BEGIN IMMEDIATE can serialise writers like row locks do on PostgreSQL.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args=_POSTGRES_CONNECT_ARGS, **kwargs)


# psycopg prepares a statement on the server after its fifth run, and PostgreSQL then switches
# to one generic plan if it looks no dearer than the custom ones. For a text search within a
# radius the generic plan cannot see the words, so it filters the radius's rows by computing each
# one's tsvector instead of reading the GIN index: 89 ms instead of 8 ms at 100,000 listings
# (bench_browse.py). Custom plans cost a few hundredths of a millisecond of planning each.
_POSTGRES_CONNECT_ARGS = {"options": "-c plan_cache_mode=force_custom_plan"}
SQLITE_WAL_CHECKPOINT_PAGES = 100


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # The commit that passes this many pages of write-ahead log copies them into the database and
    # waits for the disk. At SQLite's default (1,000 pages) one write in a hundred paid 30–140 ms
    # for it; at 100 pages each such wait stays short (incremental matching updates at national
    # scale: worst of 200 went 142 → 13 ms, median 4.2 → 4.7 ms).
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
    # Read pages straight from the operating system's file cache, shared by every connection,
    # instead of copying them into each connection's small private cache: searches that visit
    # a few thousand rows scattered over the table get several times faster.
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """Start every transaction as a writer (BEGIN IMMEDIATE) unless it was asked to be a reader.

    A deferred transaction that reads and then writes must upgrade its lock; in WAL mode the
    upgrade fails at once with "database is locked" when another writer committed since its
    snapshot, and no busy timeout can help. IMMEDIATE takes the write lock first, waiting its
    turn under the busy timeout, so the reads that decide a write see the latest data.
    """
    options = connection.get_execution_options()
    unchecked = bool(options.get(SQLITE_UNCHECKED_KEYS, False))
    if connection.info.get(_KEYS_UNCHECKED, False) != unchecked:
        # A no-op inside a transaction, so set before BEGIN; and set back by the next transaction
        # that did not ask, whatever became of this one.
        connection.exec_driver_sql(f"PRAGMA foreign_keys = {'OFF' if unchecked else 'ON'}")
        connection.info[_KEYS_UNCHECKED] = unchecked
    mode = options.get(BEGIN_MODE, "IMMEDIATE")
    connection.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


_READING_VIEW = "_mutualisation_reading_view"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def reading_session(sessions: sessionmaker[Session]) -> Session:
    """A session for a read-mostly unit of work (a GET request), switched by `transaction` to a
    writer before any write.

    - SQLite: its transactions start as plain (deferred) reads, so readers never queue behind writers.
    - PostgreSQL: its statements run in autocommit, each on its own snapshot, which spares the
      BEGIN and ROLLBACK round trips of every page: a page cached by page_cache.py then costs
      three round trips instead of five (bench/bench_pages.py). What a page reads for display
      needs no common snapshot; every read that decides a write happens inside `transaction`,
      on the writing engine, in a real transaction.
    """
    session = sessions()
    engine = session.get_bind()
    if isinstance(engine, Engine) and engine.dialect.name in _READING_OPTIONS:
        # A light view of the same engine and pool, differing only by this option.
        session.bind = _reading_view(engine)
        session.info[_WRITE_BIND] = engine
    return session


_READING_OPTIONS: dict[str, dict[str, str]] = {
    "sqlite": {BEGIN_MODE: "DEFERRED"},
    "postgresql": {"isolation_level": "AUTOCOMMIT"},
}


def _reading_view(engine: Engine) -> Engine:
    """The engine's reading view, built once per engine: `execution_options` copies the engine's
    options and events each time it is called, a cost every GET request paid (bench_pages.py)."""
    view = engine.__dict__.get(_READING_VIEW)
    if view is None:
        options = _READING_OPTIONS[engine.dialect.name]
        view = engine.__dict__[_READING_VIEW] = engine.execution_options(**options)
    return view


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """The one place a use case commits: once on success, roll back on any error."""
    read_bind = _start_writing(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _stop_writing(session, read_bind)


T = TypeVar("T")

# PostgreSQL's answers that mean "this transaction lost a race; run it again": it was chosen as
# the victim of a deadlock, or could not be serialised. Nothing of it was committed.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
TRANSIENT_ATTEMPTS = 3


def is_transient(error: BaseException) -> bool:
    """Whether `error` is the database aborting a transaction that may simply be run again: as
    SQLAlchemy wraps it, or as the driver raises it (the engine's hot statements run on the
    driver's cursor, `matching.reading.driver_rows`)."""
    found = error.orig if isinstance(error, DBAPIError) else error
    return getattr(found, "sqlstate", None) in _TRANSIENT_SQLSTATES


def retried(run: Callable[[], T], attempts: int = TRANSIENT_ATTEMPTS) -> T:
    """`run()`, which owns its whole transaction (`transaction` rolls it back on error), run again
    when the database aborted it as transient (`is_transient`), up to `attempts` times in all.

    For use cases that lock several rows whose order the code cannot fix in advance: two of them
    can deadlock, and PostgreSQL then aborts one after `deadlock_timeout` (1 s by default). Any
    other error, or the last transient one, is raised as it came.
    """
    for _attempt in range(attempts - 1):
        try:
            return run()
        except Exception as error:
            if not is_transient(error):
                raise
    return run()


def _start_writing(session: Session) -> Any:
    """For a reading session, end its read snapshot and bind it to the writing engine.

    The read transaction is committed (not rolled back) so that loaded objects stay loaded;
    rows read before and changed since are caught by the models' version columns (409).
    Returns the reading bind to restore afterwards, or None when nothing was switched.
    """
    write_bind = session.info.get(_WRITE_BIND)
    if write_bind is None:
        return None
    depth = session.info.get(_WRITE_DEPTH, 0)
    session.info[_WRITE_DEPTH] = depth + 1
    if depth:
        return None
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()
    read_bind = session.bind
    session.bind = write_bind
    return read_bind


def _stop_writing(session: Session, read_bind: Any) -> None:
    if _WRITE_BIND not in session.info:
        return
    session.info[_WRITE_DEPTH] -= 1
    if read_bind is not None:
        session.bind = read_bind
