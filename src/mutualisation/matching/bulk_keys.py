"""PostgreSQL: the suggestions' foreign keys and secondary indexes, dropped around a large COPY.

Each row copied into `suggestions` fires two foreign key triggers, each a query on `listings`:
at national scale (over a million rows) they took twice as long as the COPY itself. As the
PostgreSQL manual advises for bulk loads ("Populating a Database"), a large insert drops the
foreign keys and the secondary indexes, copies, then re-creates them: one index sort, and one
join per key to validate every row at once. All of it in the caller's transaction: a failure
rolls the DDL back with the rows.

The price is a lock: dropping a foreign key takes an ACCESS EXCLUSIVE lock on `listings` (its
triggers live there) and on `suggestions` until the transaction ends, so a large write blocks
the pages that read them for its last seconds. Only large inserts pay it (a first run, a change
of configuration); the lock is asked for with a short timeout, and when other transactions hold
it the rows are copied with the checks in place instead.
"""

from __future__ import annotations

from typing import Any

# From this many inserted rows, the keys and secondary indexes are dropped around the COPY.
UNCHECKED_FROM_ROWS = 100_000
# How long to wait for the locks before copying with the checks in place.
LOCK_TIMEOUT = "2s"

_KEYS = (
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = 'suggestions'::regclass AND contype = 'f' ORDER BY conname"
)
# Secondary indexes only: the primary key and the unique constraint's index stay (the unique one
# is appended in order, rows being copied sorted by (offer_id, need_id)).
_INDEXES = (
    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
    "WHERE x.indrelid = 'suggestions'::regclass AND NOT x.indisprimary AND NOT x.indisunique "
    "ORDER BY i.relname"
)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def drop_for_bulk(cursor: Any) -> list[str]:
    """Drop the keys and secondary indexes of `suggestions`; the statements that re-create them,
    indexes first, or [] when the locks were not granted within `LOCK_TIMEOUT` (nothing dropped)."""
    from psycopg import errors

    cursor.execute(_KEYS)
    keys = cursor.fetchall()
    cursor.execute(_INDEXES)
    indexes = cursor.fetchall()
    if not keys and not indexes:
        return []
    cursor.execute("SELECT current_setting('lock_timeout')")
    (previous,) = cursor.fetchone()
    cursor.execute("SAVEPOINT mutualisation_bulk_keys")
    try:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", (LOCK_TIMEOUT,))
        if keys:
            drops = ", ".join(f"DROP CONSTRAINT {_quoted(name)}" for name, _ in keys)
            cursor.execute(f"ALTER TABLE suggestions {drops}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {_quoted(name)}")
    except errors.LockNotAvailable:
        cursor.execute("ROLLBACK TO SAVEPOINT mutualisation_bulk_keys")  # the timeout's setting too
        return []
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", (previous,))
    cursor.execute("RELEASE SAVEPOINT mutualisation_bulk_keys")
    adds = [f"ALTER TABLE suggestions ADD CONSTRAINT {_quoted(name)} {sql}" for name, sql in keys]
    return [sql for _, sql in indexes] + adds
