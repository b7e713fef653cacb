"""Impact aggregates for the dashboards and `GET /api/v1/impact`: SQL sums over the evaluations.

Public by design: only totals leave, never a person. An agreement counts once it is done
(`completed` or `evaluated`); its figures are the sum of its parties' evaluations, dated by the
evaluation, and the agreement itself is counted in the month it was completed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Subquery, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from ..agreements.models import Agreement, AgreementEvent, Evaluation
from ..errors import NotFound
from ..i18n import N_
from ..listings.models import Listing
from ..territories.models import Territory

DONE_STATUSES = ("completed", "evaluated")
# Agreements visible in public figures and on the network map: approved by the officials onward.
PUBLIC_STATUSES = ("approved", "signed", "in_progress", "returned", "completed", "evaluated")
FIGURES = ("money_saved_eur", "kg_diverted", "co2e_kg", "km_travelled")


@dataclass(frozen=True)
class ImpactFilter:
    territory: str | None = None  # INSEE code: agreements where the territory is a party
    category: str | None = None
    year: int | None = None
    agreement_ids: tuple[int, ...] | None = None


def _month(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(column, 1, 7)  # SQLite stores "YYYY-MM-DD HH:MM:SS…" in UTC


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


def _scoped(query: Select, filters: ImpactFilter) -> Select:
    """Restrict a query that already joins Agreement to the filters' agreements."""
    query = query.where(Agreement.status.in_(DONE_STATUSES))
    if filters.agreement_ids is not None:
        query = query.where(Agreement.id.in_(filters.agreement_ids))
    if filters.territory:
        provider, beneficiary = aliased(Territory), aliased(Territory)
        query = (
            query.join(provider, provider.id == Agreement.provider_territory_id)
            .join(beneficiary, beneficiary.id == Agreement.beneficiary_territory_id)
            .where(or_(provider.code == filters.territory, beneficiary.code == filters.territory))
        )
    if filters.category:
        listing = aliased(Listing)
        query = query.join(listing, listing.id == func.coalesce(Agreement.offer_id, Agreement.need_id)).where(
            listing.category == filters.category
        )
    return query


def _figure_columns():
    return (
        func.count(Evaluation.id).label("evaluations"),
        func.coalesce(func.sum(Evaluation.money_saved_eur), 0.0).label("money_saved_eur"),
        func.coalesce(func.sum(Evaluation.kg_diverted), 0.0).label("kg_diverted"),
        func.coalesce(func.sum(Evaluation.co2e_net_kg), 0.0).label("co2e_kg"),
        func.coalesce(func.sum(Evaluation.km_travelled), 0.0).label("km_travelled"),
        func.avg(Evaluation.satisfaction).label("satisfaction_mean"),
    )


def _evaluations(filters: ImpactFilter, *columns) -> Select:
    query = _scoped(select(*columns).select_from(Evaluation).join(Agreement), filters)
    if filters.year:
        start, end = _year_bounds(filters.year)
        query = query.where(Evaluation.at >= start, Evaluation.at < end)
    return query


def _completions(filters: ImpactFilter, *columns: Any) -> tuple[Select[Any], Subquery]:
    """One row per done agreement, dated by the first time it entered `completed`."""
    completed_at = (
        select(AgreementEvent.agreement_id, func.min(AgreementEvent.at).label("at"))
        .where(AgreementEvent.to_status == "completed")
        .group_by(AgreementEvent.agreement_id)
        .subquery()
    )
    query = _scoped(
        select(*columns)
        .select_from(Agreement)
        .join(completed_at, completed_at.c.agreement_id == Agreement.id),
        filters,
    )
    if filters.year:
        start, end = _year_bounds(filters.year)
        query = query.where(completed_at.c.at >= start, completed_at.c.at < end)
    return query, completed_at


def _figures(row: Any) -> dict[str, Any]:
    mean = row.satisfaction_mean
    return {
        "evaluations": int(row.evaluations or 0),
        **{name: round(float(getattr(row, name) or 0.0), 3) for name in FIGURES},
        "satisfaction_mean": round(float(mean), 2) if mean is not None else None,
    }


def aggregate(session: Session, filters: ImpactFilter = ImpactFilter()) -> dict[str, Any]:
    """Totals and the `by_month` series (months in UTC, "YYYY-MM", oldest first)."""
    totals = session.execute(_evaluations(filters, *_figure_columns())).one()
    count_query, _completed = _completions(filters, func.count(Agreement.id))
    completed = session.scalar(count_query) or 0

    month = _month(session, Evaluation.at).label("month")
    monthly = {
        row.month: _figures(row)
        for row in session.execute(_evaluations(filters, month, *_figure_columns()).group_by(month))
    }
    by_completion, completed_at = _completions(filters)
    done_month = _month(session, completed_at.c.at).label("month")
    done_counts: dict[str, int] = dict(
        session.execute(
            by_completion.add_columns(done_month, func.count(Agreement.id)).group_by(done_month)
        ).all()
    )
    months = sorted(set(monthly) | set(done_counts))
    empty = _figures(_Empty())
    by_month = [
        {"month": m, "agreements_completed": int(done_counts.get(m, 0)), **monthly.get(m, empty)}
        for m in months
    ]
    return {"agreements_completed": int(completed), **_figures(totals), "by_month": by_month}


class _Empty:
    evaluations = 0
    money_saved_eur = kg_diverted = co2e_kg = km_travelled = 0.0
    satisfaction_mean = None


def by_year(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Yearly totals from a `by_month` series (the dashboards' yearly table)."""
    years: dict[str, dict[str, Any]] = {}
    for month in series:
        year = years.setdefault(
            month["month"][:4], {"year": month["month"][:4], "agreements_completed": 0, "evaluations": 0}
        )
        year["agreements_completed"] += month["agreements_completed"]
        year["evaluations"] += month["evaluations"]
        for name in FIGURES:
            year[name] = round(year.get(name, 0.0) + month[name], 3)
    return [years[y] for y in sorted(years)]


def territory_or_404(session: Session, code: str) -> Territory:
    territory = session.scalar(select(Territory).where(Territory.code == code))
    if territory is None:
        raise NotFound(N_("No such territory."))
    return territory


def territory_impact(session: Session, insee: str, year: int | None = None) -> dict[str, Any]:
    """For a territory page: the impact figures of the agreements where this territory is a party."""
    return aggregate(session, ImpactFilter(territory=insee, year=year))


def network_links(session: Session) -> dict[str, Any]:
    """The map of the network: territories that are parties to public agreements, and one line
    per pair of partner territories weighted by their number of agreements."""
    low: Any = func.min(Agreement.provider_territory_id, Agreement.beneficiary_territory_id)
    if session.get_bind().dialect.name == "postgresql":
        low = func.least(Agreement.provider_territory_id, Agreement.beneficiary_territory_id)
        high = func.greatest(Agreement.provider_territory_id, Agreement.beneficiary_territory_id)
    else:
        high = func.max(Agreement.provider_territory_id, Agreement.beneficiary_territory_id)
    pairs = session.execute(
        select(low.label("a"), high.label("b"), func.count(Agreement.id).label("n"))
        .where(
            Agreement.status.in_(PUBLIC_STATUSES),
            Agreement.provider_territory_id != Agreement.beneficiary_territory_id,
        )
        .group_by(low, high)
    ).all()
    ids = {p.a for p in pairs} | {p.b for p in pairs}
    places = {
        t.id: t for t in session.scalars(select(Territory).where(Territory.id.in_(ids or [literal(-1)])))
    }
    territories = [
        {"code": t.code, "name": t.name, "latitude": t.latitude, "longitude": t.longitude}
        for t in sorted(places.values(), key=lambda t: t.name)
    ]
    links = [
        {"from": places[p.a].code, "to": places[p.b].code, "agreements": int(p.n)}
        for p in sorted(pairs, key=lambda p: -p.n)
    ]
    return {"territories": territories, "links": links}


def years_with_figures(session: Session) -> list[int]:
    stamps = session.scalars(select(func.min(Evaluation.at)).union_all(select(func.max(Evaluation.at)))).all()
    found = [s for s in stamps if s is not None]
    if not found:
        return []
    return list(range(min(found).year, max(found).year + 1))
