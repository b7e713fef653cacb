"""Open-data formats for exports: CSV, JSON and GeoJSON. Pure: rows in, text out.

Rows are flat dicts; a row may carry `_geometry` (a GeoJSON geometry dict) that the
GeoJSON writer uses and the other formats leave out.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from defusedcsv import csv

FORMATS = ("csv", "json", "geojson")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _properties(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row.items() if not k.startswith("_")}


def safe_cell(value: Any) -> Any:
    """A cell no spreadsheet will run as a formula.

    defusedcsv (used by the writer) quotes text that starts with = + - @ | %; a leading tab or
    carriage return is also read as the start of a formula by some spreadsheets, so it gets the
    same leading apostrophe here.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """The one CSV writer of the application: every export goes through it."""
    buffer = io.StringIO()
    # ";" is what French spreadsheet software opens without an import dialog.
    writer = csv.DictWriter(buffer, fieldnames=list(columns), delimiter=";", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in _properties(row).items()})
    return buffer.getvalue()


def to_json(rows: Iterable[dict[str, Any]]) -> str:
    return json.dumps([_properties(r) for r in rows], ensure_ascii=False, indent=1)


def to_geojson(rows: Iterable[dict[str, Any]]) -> str:
    features = [
        {"type": "Feature", "geometry": row.get("_geometry"), "properties": _properties(row)} for row in rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def render(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    if fmt == "csv":
        return to_csv(rows, columns)
    if fmt == "json":
        return to_json(rows)
    if fmt == "geojson":
        return to_geojson(rows)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def point(longitude: float | None, latitude: float | None) -> dict[str, Any] | None:
    if longitude is None or latitude is None:
        return None
    return {"type": "Point", "coordinates": [round(longitude, 6), round(latitude, 6)]}


def line(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if a is None or b is None:
        return None
    return {"type": "LineString", "coordinates": [a["coordinates"], b["coordinates"]]}
