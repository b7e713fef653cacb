"""How a GET request's session reads on PostgreSQL (db.reading_session): each statement on its own,
in autocommit, with no transaction left open between statements; a write inside `transaction`
still runs in one real transaction on the writing engine, all or nothing."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import text

from mutualisation.db import make_engine, make_session_factory, reading_session, transaction

PG_URL = os.environ.get("MUTUALISATION_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: no MUTUALISATION_TEST_DATABASE_URL")


@pytest.fixture
def sessions():
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS reading_counter"))
        conn.execute(text("CREATE TABLE reading_counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO reading_counter VALUES (1, 0)"))
    yield make_session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE reading_counter"))
    engine.dispose()


def _value(session) -> int:
    return int(session.execute(text("SELECT value FROM reading_counter WHERE id = 1")).scalar_one())


def _server_transaction_status(session) -> psycopg.pq.TransactionStatus:
    return session.connection().connection.dbapi_connection.info.transaction_status


def test_a_reading_session_leaves_no_transaction_open_between_statements(sessions):
    reader = reading_session(sessions)
    try:
        assert _value(reader) == 0
        assert _server_transaction_status(reader) == psycopg.pq.TransactionStatus.IDLE
    finally:
        reader.close()


def test_a_reading_session_sees_each_commit_at_its_next_statement(sessions):
    reader = reading_session(sessions)
    try:
        assert _value(reader) == 0
        with sessions() as writer, transaction(writer):
            writer.execute(text("UPDATE reading_counter SET value = 5 WHERE id = 1"))
        assert _value(reader) == 5
    finally:
        reader.close()


def test_a_write_from_a_reading_session_is_one_transaction_all_or_nothing(sessions):
    reader = reading_session(sessions)
    try:
        _value(reader)
        with pytest.raises(RuntimeError), transaction(reader):
            reader.execute(text("UPDATE reading_counter SET value = 7 WHERE id = 1"))
            assert _server_transaction_status(reader) == psycopg.pq.TransactionStatus.INTRANS
            raise RuntimeError("the use case fails after its first statement")
        with transaction(reader):
            reader.execute(text("UPDATE reading_counter SET value = value + 1 WHERE id = 1"))
        with sessions() as check:
            assert _value(check) == 1  # the failed write left nothing; the next one committed
        # Back to reading: autocommit again, no transaction left open on the reading session.
        assert _value(reader) == 1
        assert _server_transaction_status(reader) == psycopg.pq.TransactionStatus.IDLE
    finally:
        reader.close()
