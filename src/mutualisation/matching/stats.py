"""The facilitator's figures on suggestions (`/admin/matching`): rates over time, reasons, absences.

Grouped in SQL (one query per table), so that the page stays cheap with millions of suggestions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from ..accounts.permissions import require
from ..listings.models import Listing
from ..territories.models import Territory
from .models import Suggestion
from .rates import RateRow, rate_rows

_OFFER, _NEED = aliased(Listing, name="offer"), aliased(Listing, name="need")


def _month(session: Session, column: Any) -> Any:
    """The "YYYY-MM" of a UTC moment, as `impact.dashboards` groups months: on PostgreSQL in UTC,
    not in the connection's time zone (to_char of a timestamptz would shift late evenings)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), literal("YYYY-MM"))
    return func.strftime(literal("%Y-%m"), column)


def rates_by_category(session: Session, user) -> list[RateRow]:
    """Per month the suggestions were made and per category: made, accepted, dismissed."""
    require(user, "matching:admin")
    month = _month(session, Suggestion.created_at).label("month")
    stmt = (
        select(month, _OFFER.category, Suggestion.status, func.count())
        .join(_OFFER, _OFFER.id == Suggestion.offer_id)
        .group_by(month, _OFFER.category, Suggestion.status)
    )
    return rate_rows((m, c, s, n) for m, c, s, n in session.execute(stmt))


def rates_by_territory(session: Session, user) -> list[RateRow]:
    """Per month and per territory, counting a suggestion for each of its two territories (once if one)."""
    require(user, "matching:admin")
    month = _month(session, Suggestion.created_at)
    sides = union_all(
        select(
            Suggestion.id.label("sid"),
            month.label("month"),
            Suggestion.status.label("status"),
            _OFFER.territory_id.label("tid"),
        ).join(_OFFER, _OFFER.id == Suggestion.offer_id),
        select(Suggestion.id, month, Suggestion.status, _NEED.territory_id).join(
            _NEED, _NEED.id == Suggestion.need_id
        ),
    ).subquery()
    # UNION ALL then DISTINCT per (suggestion, territory): a pair within one territory counts once.
    distinct = select(sides.c.sid, sides.c.month, sides.c.status, sides.c.tid).distinct().subquery()
    stmt = (
        select(distinct.c.month, Territory.name, distinct.c.status, func.count())
        .join(Territory, Territory.id == distinct.c.tid)
        .group_by(distinct.c.month, Territory.name, distinct.c.status)
    )
    return rate_rows((m, t, s, n) for m, t, s, n in session.execute(stmt))
