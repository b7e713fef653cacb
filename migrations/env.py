from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from mutualisation.migrate import include_name
from mutualisation.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from mutualisation.settings import load_settings

        url = load_settings()["DATABASE_URL"]
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        include_name=include_name,
        # SQLite cannot ALTER most things: batch mode rebuilds tables when needed.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run them against a database.")
run_migrations_online()
