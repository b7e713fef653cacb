"""Raw reads for the hot browse paths: plain tuples from the driver, no row objects.

For the thousands of rows of a radius, row objects cost more than the query. The statements
still go through SQLAlchemy, so their compiled form is cached (compiling one on every
request cost as much as running it).
"""

from __future__ import annotations

from itertools import chain
from typing import Any, cast

import numpy as np
from sqlalchemy import Executable
from sqlalchemy.orm import Session


def fetch_rows(session: Session, query: Executable) -> list[tuple[Any, ...]]:
    result = session.connection().execute(query)
    try:
        # A SELECT always has a cursor; the drivers return a list.
        return cast(list[tuple[Any, ...]], result.cursor.fetchall())  # type: ignore[union-attr]
    finally:
        result.close()


def fetch_column(session: Session, query: Executable) -> list[Any]:
    return [row[0] for row in fetch_rows(session, query)]


def fetch_array(session: Session, query: Executable, width: int) -> np.ndarray:
    """Rows of `width` numbers as one float array of shape (n, width).

    Tens of thousands of rows may fall in a radius around a big city.
    """
    rows = fetch_rows(session, query)
    # fromiter over the flattened tuples is several times faster than np.array on a list of tuples.
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=width * len(rows))
    return flat.reshape(-1, width)


def fetch_points(session: Session, query: Executable) -> np.ndarray:
    """(id, latitude, longitude) rows as one float array of shape (n, 3)."""
    return fetch_array(session, query, 3)
