"""Shared fixtures: real databases built by the migrations, one rolled-back transaction per test.

Integration and web tests run on SQLite always, and on PostgreSQL too when
MUTUALISATION_TEST_DATABASE_URL is set. In CI that variable is required: the PostgreSQL
tests must run, never skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mutualisation.db import make_engine
from mutualisation.domains import configure_sessions, install_policies
from mutualisation.migrate import upgrade

PG_URL = os.environ.get("MUTUALISATION_TEST_DATABASE_URL", "")
if os.environ.get("CI") and not PG_URL:
    raise pytest.UsageError("CI must set MUTUALISATION_TEST_DATABASE_URL: the PostgreSQL tests may not skip")

DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def fresh_engine(kind: str, tmp_path_factory) -> Engine:
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        return make_engine(f"sqlite:///{path}")
    engine = make_engine(PG_URL)
    reset_postgres(engine)
    return engine


@pytest.fixture(scope="session", params=DATABASES)
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A database of each kind, built once per test session by running the migrations."""
    eng = fresh_engine(request.param, tmp_path_factory)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine):
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture(scope="session", autouse=True)
def _domain_policies() -> None:
    """The domains' permissions, installed once as create_app installs them: a test that writes
    through its own sessions (committed concurrency tests, the demo) then behaves as when it runs
    after another test, never "unknown permission" when run alone."""
    install_policies()


@pytest.fixture
def session_factory(connection) -> sessionmaker[Session]:
    """Sessions that share the test's connection; their commits become savepoints.

    Like the app's own sessionmaker, they carry the domains' session hooks (matching follows
    listing changes), and the domains' permissions are installed as create_app installs them, so
    services behave in tests as they do in the app.
    """
    factory = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    configure_sessions(factory)
    install_policies()
    return factory


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.close()


@pytest.fixture
def app(engine, session_factory, tmp_path):
    from mutualisation.app import create_app

    application = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "WTF_CSRF_ENABLED": True,
        }
    )
    application.extensions["mutualisation.sessions"] = session_factory
    return application


@pytest.fixture
def client(app):
    return app.test_client()
