"""Alembic, driven from code: the CLI, `make run` and the tests build the schema by migrating."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from .fulltext import is_search_table
from .models import metadata
from .paths import resource_dir


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    # Date-prefixed file names keep the folder in the order revisions were written.
    config.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"
    )
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), revision)


def include_name(name, type_, _parent_names) -> bool:
    """What the drift check compares: all but the full-text search's own tables, indexes and
    columns (`fts_*`: SQLite FTS5 virtual tables and their shadow tables, PostgreSQL's vocabulary
    tables, stored tsvectors and their indexes, which no model describes; see fulltext.py)."""
    return not (type_ in ("table", "index", "column") and is_search_table(name))


def drift(engine: Engine) -> list:
    """Differences between the models and the migrated schema (empty when they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        return compare_metadata(context, metadata)
