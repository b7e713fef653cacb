"""Issue 10, item 16: `mutualisation db backup` / `db restore` on SQLite, and the PostgreSQL procedure."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from mutualisation.backup import BackupError, backup_sqlite, restore_sqlite
from mutualisation.cli import main


def _everything(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a comparable order."""
    with closing(sqlite3.connect(path)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(db.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    """A migrated SQLite file with the demo network, built once for this module."""
    from mutualisation.app import create_app
    from mutualisation.demo import load_demo
    from mutualisation.migrate import upgrade
    from mutualisation.web import db_session

    folder = tmp_path_factory.mktemp("demo")
    path = folder / "template.sqlite3"
    app = create_app({"ENV": "testing", "DATABASE_URL": f"sqlite:///{path}", "INSTANCE_PATH": str(folder)})
    upgrade(app.extensions["mutualisation.engine"])
    with app.app_context():
        load_demo(db_session())
    app.extensions["mutualisation.engine"].dispose()  # the last connection folds the WAL back in
    return path


@pytest.fixture
def demo_database(demo_template, tmp_path, monkeypatch) -> Path:
    """A copy of the demo database, configured as the CLI's database."""
    path = tmp_path / "served.sqlite3"
    shutil.copyfile(demo_template, path)
    monkeypatch.setenv("MUTUALISATION_ENV", "testing")
    monkeypatch.setenv("MUTUALISATION_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MUTUALISATION_INSTANCE_PATH", str(tmp_path / "instance"))
    return path


def test_a_backup_restored_over_a_changed_database_gives_back_every_row(demo_database, tmp_path):
    before = _everything(demo_database)
    backup = tmp_path / "saved.sqlite3"
    runner = CliRunner()

    made = runner.invoke(main, ["db", "backup", str(backup)])
    with closing(sqlite3.connect(demo_database)) as db, db:  # closed: restore needs sole use
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DELETE FROM notifications")
        db.execute("UPDATE users SET name = 'changed'")
    restored = runner.invoke(main, ["db", "restore", str(backup), "--yes"])

    assert made.exit_code == 0, made.output
    assert restored.exit_code == 0, restored.output
    after = _everything(demo_database)
    assert {t: len(rows) for t, rows in after.items()} == {t: len(rows) for t, rows in before.items()}
    assert after == before
    assert sum(len(rows) for rows in before.values()) > 100 and before["notifications"]


def test_a_backup_never_overwrites_a_file_unless_forced(demo_database, tmp_path):
    existing = tmp_path / "keep.sqlite3"
    existing.write_text("precious")
    with pytest.raises(BackupError, match="already exists"):
        backup_sqlite(demo_database, existing)
    assert existing.read_text() == "precious"


def test_a_backup_taken_while_another_connection_writes_is_consistent(tmp_path):
    database = tmp_path / "busy.sqlite3"
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, payload TEXT)")
        db.execute("CREATE TABLE lines (order_id INTEGER, payload TEXT)")
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
    stop = threading.Event()
    written = []

    def writer() -> None:
        db = sqlite3.connect(database, timeout=30, isolation_level=None)
        while not stop.is_set():
            db.execute("BEGIN IMMEDIATE")  # one order and its line: both or neither
            order = db.execute("INSERT INTO orders (payload) VALUES (?)", ("x" * 2000,)).lastrowid
            db.execute("INSERT INTO lines VALUES (?, ?)", (order, "y" * 2000))
            db.execute("COMMIT")
            written.append(order)
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 200:  # the writer is well under way
            threading.Event().wait(0.01)
        copies = [tmp_path / f"copy{i}.sqlite3" for i in range(3)]
        for copy in copies:
            backup_sqlite(database, copy)
    finally:
        stop.set()
        thread.join()

    for copy in copies:
        with closing(sqlite3.connect(copy)) as db:
            orders = db.execute("SELECT count(*) FROM orders").fetchone()[0]
            lines = db.execute("SELECT count(*) FROM lines").fetchone()[0]
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert orders == lines and 200 <= orders <= len(written)
    assert not list(tmp_path.glob("*.partial"))


def test_restore_refuses_while_another_process_has_the_database_open(demo_database, tmp_path):
    backup = tmp_path / "saved.sqlite3"
    backup_sqlite(demo_database, backup)
    serving = sqlite3.connect(demo_database)  # a web worker's pooled connection
    serving.execute("SELECT count(*) FROM users").fetchone()
    try:
        with pytest.raises(BackupError, match="in use"):
            restore_sqlite(backup, demo_database)
    finally:
        serving.close()
    restore_sqlite(backup, demo_database)  # once it is closed, the restore goes through


def test_on_postgresql_the_commands_print_the_pg_dump_procedure_without_the_password(monkeypatch, tmp_path):
    monkeypatch.setenv("MUTUALISATION_ENV", "testing")
    monkeypatch.setenv("MUTUALISATION_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MUTUALISATION_DATABASE_URL", "postgresql+psycopg://mutu:s3cret@db.internal:5433/mutu")

    result = CliRunner().invoke(main, ["db", "backup", "nightly.dump"])
    restore = CliRunner().invoke(main, ["db", "restore", __file__, "--yes"])

    assert result.exit_code == 2 and restore.exit_code == 2
    assert "pg_dump --format=custom --no-owner --host=db.internal --port=5433" in result.output
    assert "--file=nightly.dump mutu" in result.output
    assert "pg_restore --clean --if-exists --no-owner" in restore.output
    assert "s3cret" not in result.output + restore.output
