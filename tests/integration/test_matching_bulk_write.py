"""The streamed bulk write: rows built a chunk at a time from columns give exactly the rows of a
write in one piece, on both databases, and a failure in the middle of it leaves the previous
suggestions (and SQLite's indexes) as they were."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from mutualisation.matching import bulk_keys, diff, engine, explainer, recompute, writers
from mutualisation.matching.breakdown import render
from mutualisation.matching.models import MatchingState, Suggestion
from tests.builders import make_listing, make_territory, make_user
from tests.integration.test_matching_engine import (
    CFG,
    PAIR_COLUMNS,
    expected_pairs,
    random_network,
    stored_pairs,
)

# Everything a suggestion stores but its id and stamps.
COLUMNS = (
    *PAIR_COLUMNS,
    Suggestion.breakdown,
    Suggestion.status,
    Suggestion.dismiss_reason,
    Suggestion.offer_fingerprint,
    Suggestion.need_fingerprint,
)


@pytest.fixture(autouse=True)
def _flushes_bump_the_categories(session_factory):
    engine.attach_flush_listener(session_factory)


def schema(session):
    """The suggestions' indexes and foreign keys, as the database describes them."""
    found = inspect(session.connection())
    indexes = sorted((ix["name"], tuple(ix["column_names"])) for ix in found.get_indexes("suggestions"))
    keys = sorted(
        (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
        for fk in found.get_foreign_keys("suggestions")
    )
    assert ("ix_suggestions_need_id", ("need_id",)) in indexes and len(keys) == 2
    return indexes, keys


def stored_rows(session):
    rows = session.execute(select(*COLUMNS).order_by(Suggestion.offer_id, Suggestion.need_id)).all()
    return [tuple(r) for r in rows]


def stamps(session):
    return set(session.execute(select(Suggestion.created_at, Suggestion.updated_at)).all())


def forget_suggestions(session):
    """An empty table and no recorded inputs: the next recompute inserts every row again."""
    session.execute(delete(Suggestion))
    session.execute(update(MatchingState).values(computed_inputs=None))


@pytest.fixture
def engine_(engine):
    """The test database's engine (`engine` is the matching engine here)."""
    return engine


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 7 rows, 3 rows per SQLite INSERT: many chunks, and a rest in each."""

    def use(copy: bool) -> None:
        monkeypatch.setattr(explainer.ExplainedRows, "CHUNK", 7)
        monkeypatch.setattr(writers, "_PREFETCH_FROM_ROWS", 0)  # built in a thread, as at national scale
        monkeypatch.setattr(writers, "_SQLITE_ROWS_PER_INSERT", 3)
        monkeypatch.setattr(writers, "COPY_FROM_ROWS", 0 if copy else 10**9)

    return use


@pytest.mark.parametrize("copy", [True, False])
def test_a_write_in_small_chunks_stores_exactly_the_rows_of_a_write_in_one(session, small_chunks, copy):
    listings = random_network(session, 21)
    first = engine.full_recompute(session, CFG, coop=[])
    in_one = stored_rows(session)
    assert first.inserted == len(in_one) > 7 * 3
    forget_suggestions(session)
    small_chunks(copy)  # PostgreSQL: COPY (copy) or arrays; SQLite: multi-row INSERTs either way
    again = engine.full_recompute(session, CFG, coop=[])
    assert again.inserted == first.inserted
    assert stored_rows(session) == in_one
    assert stored_pairs(session) == expected_pairs(listings)
    # One stamp for the whole run, the same for creation and update; every breakdown reads back.
    (created, updated), *others = stamps(session)
    assert not others and created == updated
    rows = session.scalars(select(Suggestion)).all()
    assert all(render(s.breakdown, s.distance_km) for s in rows)


def test_a_failure_in_the_middle_of_the_inserts_leaves_the_previous_suggestions(session, monkeypatch):
    listings = random_network(session, 22)
    engine.full_recompute(session, CFG, coop=[])
    before, stamped = stored_rows(session), stamps(session)
    for listing in listings[:12]:  # some pairs leave, others come: deletes, then inserts
        listing.max_distance_km, listing.subcategory = 400.0, None
    for listing in listings[12:16]:
        listing.status = "withdrawn"
    session.commit()  # kept when the recompute's transaction rolls back
    # Small chunks, and SQLite's indexes dropped around the write as for a national run.
    monkeypatch.setattr(explainer.ExplainedRows, "CHUNK", 3)
    monkeypatch.setattr(writers, "_PREFETCH_FROM_ROWS", 0)
    monkeypatch.setattr(writers, "_SQLITE_ROWS_PER_INSERT", 2)
    monkeypatch.setattr(writers, "_REINDEX_FROM_ROWS", 1)
    monkeypatch.setattr(writers, "COPY_FROM_ROWS", 0)
    monkeypatch.setattr(bulk_keys, "UNCHECKED_FROM_ROWS", 1)  # PostgreSQL: keys dropped too
    definitions = schema(session)
    calls = []
    columns = diff.NewPairs.columns

    def failing_on_the_third_chunk(self, breakdowns):
        calls.append(len(self))
        if len(calls) == 3:  # two chunks of rows are already written
            raise RuntimeError("injected failure in the middle of the inserts")
        return columns(self, breakdowns)

    monkeypatch.setattr(diff.NewPairs, "columns", failing_on_the_third_chunk)
    with pytest.raises(RuntimeError, match="middle of the inserts"):
        engine.full_recompute(session, CFG, coop=[])
    assert calls == [3, 3, 3]
    assert not _producers()  # the thread that built the chunks ended with the write
    assert stored_rows(session) == before and stamps(session) == stamped
    assert schema(session) == definitions
    # And the same run, without the failure, writes the new state.
    monkeypatch.setattr(diff.NewPairs, "columns", columns)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert counts.inserted > 6 and counts.deleted > 0
    assert stored_pairs(session) == expected_pairs(listings)


def _producers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "prefetch" and t.is_alive()]


def test_a_failure_storing_a_chunk_stops_the_thread_building_the_next(session, monkeypatch):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's multi-row inserts")
    random_network(session, 22)
    session.commit()
    monkeypatch.setattr(explainer.ExplainedRows, "CHUNK", 3)
    monkeypatch.setattr(writers, "_PREFETCH_FROM_ROWS", 0)
    stored = writers._insert_sqlite
    calls = []

    def failing_on_the_second_chunk(cursor, columns, stamp):
        calls.append(len(columns[0]))
        if len(calls) == 2:
            raise RuntimeError("injected failure storing a chunk")
        stored(cursor, columns, stamp)

    monkeypatch.setattr(writers, "_insert_sqlite", failing_on_the_second_chunk)
    with pytest.raises(RuntimeError, match="storing a chunk"):
        engine.full_recompute(session, CFG, coop=[])
    assert calls == [3, 3] and not _producers()
    assert session.scalar(select(func.count()).select_from(Suggestion)) == 0


@pytest.mark.parametrize("limit", [0, 10**9])
def test_only_inserts_above_the_limit_build_their_chunks_in_a_thread(session, monkeypatch, limit):
    """A national run's chunks are built while the previous one is stored; an incremental
    update's few rows are not worth a thread."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's inserts (PostgreSQL copies or writes arrays, in one stream)")
    monkeypatch.setattr(writers, "_PREFETCH_FROM_ROWS", limit)
    threaded = []
    real = writers.prefetched
    monkeypatch.setattr(writers, "prefetched", lambda items: threaded.append(1) or real(items))
    listings = random_network(session, 24)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert counts.inserted > 0 and len(threaded) == (1 if limit == 0 else 0)
    assert stored_pairs(session) == expected_pairs(listings)


@pytest.mark.parametrize("fail", [False, True])
def test_sqlite_reads_unmapped_during_a_recompute_and_maps_again_after(session, monkeypatch, fail):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's memory-mapped reads only")

    def mapped():
        return session.connection().exec_driver_sql("PRAGMA mmap_size").scalar()

    before = mapped()
    assert before > 0  # the app's connections read memory-mapped (db._sqlite_pragmas)
    random_network(session, 23, n=10)
    during = []
    store = recompute.store

    def recording(session_, keys):
        during.append(mapped())
        store(session_, keys)
        if fail:
            raise RuntimeError("injected failure at the end of the recompute")

    monkeypatch.setattr(recompute, "store", recording)
    if fail:
        with pytest.raises(RuntimeError, match="injected"):
            engine.full_recompute(session, CFG, coop=[])
    else:
        assert engine.full_recompute(session, CFG, coop=[]).inserted > 0
    assert during == [0] and mapped() == before


def test_a_recompute_in_a_transaction_of_its_own_skips_sqlite_key_checks_only(tmp_path, monkeypatch):
    """The CLI's and the nightly job's case: the recompute starts the session's transaction."""
    from mutualisation.db import make_engine, make_session_factory
    from mutualisation.migrate import upgrade

    own = make_engine(f"sqlite:///{tmp_path / 'own.sqlite3'}", pool_size=1, max_overflow=0)
    upgrade(own)
    sessions = make_session_factory(own)
    engine.attach_flush_listener(sessions)
    with sessions() as session:
        listings = random_network(session, 24)
        session.commit()
        checks = []
        store = recompute.store

        def recording(session_, keys):
            checks.append(session_.execute(text("PRAGMA foreign_keys")).scalar())
            store(session_, keys)

        monkeypatch.setattr(recompute, "store", recording)
        assert engine.full_recompute(session, CFG, coop=[]).inserted > 0
        assert stored_pairs(session) == expected_pairs(listings)
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1  # the next transaction
        session.rollback()
        session.begin()  # a recompute inside a transaction under way keeps the checks
        engine.full_recompute(session, CFG, coop=[])
    assert checks == [0, 1]
    own.dispose()


def _postgresql_only(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's COPY only")


def test_a_large_postgresql_copy_drops_and_re_creates_keys_and_indexes(session, monkeypatch):
    _postgresql_only(session)
    definitions = schema(session)
    monkeypatch.setattr(bulk_keys, "UNCHECKED_FROM_ROWS", 1)
    monkeypatch.setattr(writers, "COPY_FROM_ROWS", 0)
    dropped = []
    drop = bulk_keys.drop_for_bulk
    monkeypatch.setattr(bulk_keys, "drop_for_bulk", lambda cursor: dropped.append(1) or drop(cursor))
    listings = random_network(session, 25)
    assert engine.full_recompute(session, CFG, coop=[]).inserted > 0
    assert dropped == [1] and stored_pairs(session) == expected_pairs(listings)
    assert schema(session) == definitions
    # The keys were validated again and check the rows that follow.
    offer_id, need_id = session.execute(select(Suggestion.offer_id, Suggestion.need_id)).first()
    session.commit()
    with pytest.raises(IntegrityError, match="fk_suggestions_need_id_listings"):
        session.execute(
            update(Suggestion)
            .where(Suggestion.offer_id == offer_id, Suggestion.need_id == need_id)
            .values(need_id=-1)
        )
    session.rollback()


def test_a_large_postgresql_copy_keeps_its_checks_when_the_locks_are_busy(session, monkeypatch, engine_):
    _postgresql_only(session)
    definitions = schema(session)
    monkeypatch.setattr(bulk_keys, "UNCHECKED_FROM_ROWS", 1)
    monkeypatch.setattr(bulk_keys, "LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(writers, "COPY_FROM_ROWS", 0)
    rebuilt = []
    drop = bulk_keys.drop_for_bulk
    monkeypatch.setattr(
        bulk_keys, "drop_for_bulk", lambda cursor: rebuilt.append(drop(cursor)) or rebuilt[-1]
    )
    listings = random_network(session, 26)
    with engine_.connect() as reader:  # a page reading listings, its transaction still open
        reader.execute(text("SELECT count(*) FROM listings")).scalar()
        counts = engine.full_recompute(session, CFG, coop=[])
        reader.rollback()
    assert rebuilt == [[]]  # nothing dropped: the rows were copied with the checks in place
    assert counts.inserted > 0 and stored_pairs(session) == expected_pairs(listings)
    assert schema(session) == definitions


def test_a_bulk_recompute_vacuums_the_suggestions_once_committed(session, monkeypatch):
    listings = random_network(session, 27)
    calls = []
    vacuum = recompute.vacuum_after_bulk

    def recording(session_):
        calls.append(session_.in_transaction())
        vacuum(session_)  # on PostgreSQL a real VACUUM, outside any transaction; elsewhere nothing

    monkeypatch.setattr(recompute, "vacuum_after_bulk", recording)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert counts.inserted > 0 and calls == []  # below the threshold: autovacuum's business
    for listing in listings[:10]:
        listing.max_distance_km = 400.0
    session.commit()
    monkeypatch.setattr(recompute, "VACUUM_FROM_ROWS", 1)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert counts.inserted + counts.deleted > 0 and calls == [False]
    assert stored_pairs(session) == expected_pairs(listings)


def _write_every_kind_of_value(session, breakdown: str, read_back: object) -> Suggestion:
    """Insert two rows of awkward values, then update one (keeping its breakdown) and delete the
    other, checking each value read back; the row left."""
    make_territory(session, "93003", latitude=48.9, longitude=2.4)
    owner, other = make_user(session, "technician", "93003"), make_user(session, "actor", "93003")
    offers = [make_listing(session, owner, "offer") for _ in range(2)]
    need = make_listing(session, other, "need")
    awkward = (0.1 + 0.2, 5e-324, 1 / 3, 123456.789e-17)
    inserts = diff.InsertColumns(
        (
            [offers[0].id, offers[1].id],
            [need.id, need.id],
            [awkward[0], awkward[1]],
            [awkward[2], awkward[3]],
            [0, None],
            [None, 1],
            [breakdown, "{}"],
            ["active", "active"],
            ["a" * 24, "b" * 24],
            ["c" * 24, "d" * 24],
        )
    )
    writers.write(session, diff.Changes(inserts=inserts))
    first, second = session.scalars(select(Suggestion).order_by(Suggestion.offer_id)).all()
    assert (first.score, second.score, first.distance_km, second.distance_km) == awkward
    assert (first.offer_rank, first.need_rank, second.offer_rank, second.need_rank) == (0, None, None, 1)
    assert first.breakdown == read_back

    kept = diff.UpdateRow(first.id, 2 / 3, 7e-300, None, 0, "active", "e" * 24, "f" * 24)
    writers.write(session, diff.Changes(updates=[kept], deletes=[second.id]))
    session.expire_all()
    row = session.scalars(select(Suggestion)).one()
    assert (row.id, row.score, row.distance_km, row.offer_rank, row.need_rank) == (
        first.id,
        2 / 3,
        7e-300,
        None,
        0,
    )
    assert (row.offer_fingerprint, row.breakdown) == ("e" * 24, read_back)
    return row


def test_an_incremental_write_stores_every_value_exactly_as_given(session):
    """PostgreSQL's incremental writer sends its rows as JSON: floats come back bit for bit, None
    stays NULL, a breakdown keeps its quotes, a NULL breakdown keeps the stored one, and a NaN is
    refused before anything is written."""
    _postgresql_only(session)
    row = _write_every_kind_of_value(session, '{"q":"a \\"quoted\\" word"}', {"q": 'a "quoted" word'})

    with pytest.raises(ValueError, match="JSON"):
        writers.write(
            session, diff.Changes(updates=[diff.UpdateRow(row.id, float("nan"), 1.0, 0, 0, "active", "", "")])
        )
    assert session.scalars(select(Suggestion.score)).one() == 2 / 3


def test_a_large_write_copies_every_value_exactly_as_given(session, monkeypatch):
    """PostgreSQL's COPY writer, through its temporary table of the same column types: the same
    values come back alike (a compact breakdown: COPY's text format carries no backslash)."""
    _postgresql_only(session)
    monkeypatch.setattr(writers, "COPY_FROM_ROWS", 0)
    _write_every_kind_of_value(session, '[["S",0.35],["W",0.15,100]]', [["S", 0.35], ["W", 0.15, 100]])
