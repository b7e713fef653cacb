"""Open data: the published sheets as rows, and the Frictionless Data Package that describes every
export (a table schema per resource, and its licence).

Nothing personal leaves: sheets carry no author, reactions are counted, not quoted.
Licences: Licence Ouverte 2.0 for the data, CC BY-SA 4.0 for the sheets' text.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, select
from sqlalchemy.orm import Session

from ..listings.models import Listing
from .exports import point, render
from .models import Sheet, SheetReaction
from .services import AGREEMENT_COLUMNS, EXPORTS, IMPACT_COLUMNS, LISTING_COLUMNS
from .sheet_rules import SECTIONS

CSV_DANGEROUS_START = ("=", "+", "-", "@")
LICENCE_DATA = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
LICENCE_SHEETS = {
    "name": "CC-BY-SA-4.0",
    "title": "Creative Commons Attribution-ShareAlike 4.0",
    "path": "https://creativecommons.org/licenses/by-sa/4.0/",
}
SHEET_COLUMNS = (
    "id",
    "title",
    "themes",
    "category",
    "territory_code",
    "territory_name",
    "population",
    "started_on",
    "ended_on",
    *SECTIONS,
    "licence",
    "version",
    "published_at",
    "reuses",
    "comments",
    "contradictions",
)


def safe_csv_cell(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would run as a formula (CSV injection): prefix a quote.

    Numbers are left alone: a negative figure is data, not a formula.
    """
    if isinstance(value, str) and value.startswith(CSV_DANGEROUS_START):
        return "'" + value
    return value


def csv_safe_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: safe_csv_cell(v) for k, v in row.items()} for row in rows]


def sheet_rows(session: Session) -> list[dict[str, Any]]:
    found = (
        session.scalars(select(Sheet).where(Sheet.status == "published").order_by(Sheet.id)).unique().all()
    )
    counts: Counter[tuple[int, str]] = Counter()
    ids = [s.id for s in found]
    for sheet_id, kind in session.execute(
        select(SheetReaction.sheet_id, SheetReaction.kind).where(SheetReaction.sheet_id.in_(ids or [-1]))
    ):
        counts[(sheet_id, kind)] += 1
    rows = []
    for sheet in found:
        row = {name: getattr(sheet, name) for name in ("id", "title", "category", "population", "licence")}
        row.update({name: getattr(sheet, name) for name in (*SECTIONS, "started_on", "ended_on", "version")})
        row.update(
            themes=",".join(sheet.themes or []),
            territory_code=sheet.territory.code,
            territory_name=sheet.territory.name,
            published_at=sheet.published_at,
            reuses=counts[(sheet.id, "reuse")],
            comments=counts[(sheet.id, "comment")],
            contradictions=counts[(sheet.id, "contradiction")],
            _geometry=point(sheet.territory.longitude, sheet.territory.latitude),
        )
        rows.append(row)
    return rows


ALL_EXPORTS = {**EXPORTS, "sheets": (sheet_rows, SHEET_COLUMNS)}


def export_text(session: Session, name: str, fmt: str) -> tuple[str, int]:
    """One open-data export as text, and its row count: the API and the command line both call this,
    so a file downloaded and a file exported on the server are the same."""
    build, columns = ALL_EXPORTS[name]
    rows = build(session)
    if fmt == "csv":
        rows = csv_safe_rows(rows)
    return render(rows, columns, fmt), len(rows)


_AGREEMENT_TYPES = {"id": "integer", "starts_on": "date", "ends_on": "date", "created_at": "datetime"}
_IMPACT_TYPES = {
    "agreement_id": "integer",
    "evaluations": "integer",
    **{
        name: "number"
        for name in IMPACT_COLUMNS
        if name.endswith(("_eur", "_kg", "_mean")) or name in ("kg_diverted", "km_travelled")
    },
}
_SHEET_TYPES = {
    "id": "integer",
    "population": "integer",
    "version": "integer",
    "reuses": "integer",
    "comments": "integer",
    "contradictions": "integer",
    "started_on": "date",
    "ended_on": "date",
    "published_at": "datetime",
}


def _sql_type(column) -> str:
    kind = column.type
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, Float | Numeric):
        return "number"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    return "string"


def _listing_types() -> dict[str, str]:
    table = Listing.__table__
    return {name: _sql_type(table.c[name]) for name in LISTING_COLUMNS if name in table.c}


def _schema(columns: tuple[str, ...], types: dict[str, str]) -> dict[str, Any]:
    return {"fields": [{"name": name, "type": types.get(name, "string")} for name in columns]}


def datapackage(base_url: str = "") -> dict[str, Any]:
    """The Frictionless Data Package: one CSV resource per export, paths relative to the package."""
    described = {
        "listings": (LISTING_COLUMNS, _listing_types(), "Published offers and needs of the network."),
        "agreements": (AGREEMENT_COLUMNS, _AGREEMENT_TYPES, "Agreements approved by the officials, onward."),
        "impact": (IMPACT_COLUMNS, _IMPACT_TYPES, "Evaluations of the agreements, per agreement."),
        "sheets": (SHEET_COLUMNS, _SHEET_TYPES, "Published experience sheets (text under CC BY-SA 4.0)."),
    }
    resources = []
    for name, (columns, types, description) in described.items():
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": description,
                "dialect": {"delimiter": ";"},
                "licenses": [LICENCE_SHEETS if name == "sheets" else LICENCE_DATA],
                "schema": _schema(columns, types),
            }
        )
    package = {
        "profile": "tabular-data-package",
        "name": "mutualisation-open-data",
        "title": "Mutualisation: open data of the network of peer territories",
        "licenses": [LICENCE_DATA],
        "resources": resources,
    }
    if base_url:
        package["homepage"] = base_url
    return package
