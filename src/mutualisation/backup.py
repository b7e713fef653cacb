"""Backups: `mutualisation db backup FILE` and `mutualisation db restore FILE`.

SQLite: SQLite's online backup API copies the database page by page inside one read
transaction, so the copy is consistent while the app keeps serving (in WAL mode readers never
block writers, and writers never block it). Restoring replaces the whole database: it refuses
while any other process (web worker, scheduler) has the database open, because their
connections would keep reading the old pages.

PostgreSQL: its own tools are the right ones (`pg_dump`, `pg_restore`); the commands print the
procedure documented in docs/operations.md instead of pretending to do it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup or the restore cannot be done; the message says why and what to do."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("not a SQLite database file")
    return Path(url.database).resolve()


def backup_sqlite(database: Path, target: Path, *, overwrite: bool = False) -> None:
    """Copy `database` to `target`, consistent even while other processes write to it.

    The copy is written next to the target and renamed into place once checked, so a failed
    backup never leaves a half-written file under the target's name.
    """
    if not database.exists():
        raise BackupError(f"no database at {database}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} already exists: choose another name or pass --force")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # one step: one read snapshot, whatever the writers do meanwhile
        # A single self-contained file: no -wal or -shm beside the copy.
        copy.execute("PRAGMA journal_mode=DELETE")
        _check_integrity(copy, partial)
    finally:
        copy.close()
        source.close()
    os.replace(partial, target)


def restore_sqlite(backup: Path, database: Path) -> None:
    """Replace `database` by the content of `backup`; refuses while the database is open elsewhere."""
    if not backup.exists():
        raise BackupError(f"no backup at {backup}")
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        _check_integrity(source, backup)
        if not source.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
            raise BackupError(f"{backup} is not a Mutualisation database (no schema revision)")
        database.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(database, timeout=0)
        try:
            _take_sole_use(target, database)
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    finally:
        source.close()


def _take_sole_use(target: sqlite3.Connection, database: Path) -> None:
    # Leaving WAL mode needs every other connection closed: it is how we know that no web
    # worker or scheduler has the database open. The exclusive locking mode then keeps them out
    # until the restore is done.
    target.execute("PRAGMA locking_mode=EXCLUSIVE")
    try:
        mode = target.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "busy"
    if str(mode).lower() != "delete":
        raise BackupError(f"{database} is in use: stop the web server and the scheduler, then restore again")


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")


def postgres_procedure(database_url: str, action: str, file: str) -> str:
    """The documented pg_dump / pg_restore commands for this database (without its password)."""
    url = make_url(database_url)
    target = f"--host={url.host or 'localhost'} --port={url.port or 5432} --username={url.username or ''}"
    name = url.database or ""
    if action == "backup":
        command = f"pg_dump --format=custom --no-owner {target} --file={file} {name}"
    else:
        command = f"pg_restore --clean --if-exists --no-owner {target} --dbname={name} {file}"
    return (
        "This database is PostgreSQL: use PostgreSQL's own tools (see docs/operations.md, Backups).\n"
        f"  {command}\n"
        "The password comes from PGPASSWORD or ~/.pgpass. Nothing was copied by this command."
    )


# Commands (registered under `mutualisation db` by cli.py) ------------------------------------------


def _database_url() -> str:
    from .settings import load_settings

    return str(load_settings()["DATABASE_URL"])


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def backup_command(file: Path, force: bool) -> None:
    """Copy the SQLite database to FILE, consistently, even while the app is serving."""
    url = _database_url()
    if make_url(url).get_backend_name() != "sqlite":
        click.echo(postgres_procedure(url, "backup", str(file)))
        raise SystemExit(2)
    try:
        backup_sqlite(sqlite_path(url), file, overwrite=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {file} ({file.stat().st_size} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.confirmation_option(prompt="Replace the whole database by this backup?")
def restore_command(file: Path) -> None:
    """Replace the SQLite database by FILE. Stop the web server and the scheduler first."""
    url = _database_url()
    if make_url(url).get_backend_name() != "sqlite":
        click.echo(postgres_procedure(url, "restore", str(file)))
        raise SystemExit(2)
    try:
        restore_sqlite(file, sqlite_path(url))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database restored from {file}; run `mutualisation db upgrade` if the backup is older")
