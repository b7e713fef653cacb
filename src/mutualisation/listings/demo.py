"""Demo offers and needs of the four peer territories (idempotent: matched on owner and title).

The data is in `demo_data.py`; every listing is created and published in one commit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from .demo_data import DEMO_LISTINGS
from .editing import create_published
from .models import Listing

SPRING = "spring"  # an extra flag: the window is next March and April


def _window(extra: dict[str, Any]) -> dict[str, Any]:
    today = date.today()
    if extra.pop(SPRING, False):
        year = today.year + (1 if today.month > 4 else 0)
        return {"available_from": date(year, 3, 1), "available_until": date(year, 4, 30)}
    return {"available_from": today, "available_until": today + timedelta(days=365)}


def load(session: Session) -> str:
    users = {u.email: u for u in session.scalars(select(User).where(User.email.like("%.demo")))}
    created = 0
    for row in DEMO_LISTINGS:
        owner = users.get(f"{row.owner_role}@{row.territory_slug}.demo")
        if owner is None:
            continue
        exists = session.scalar(
            select(Listing.id).where(Listing.owner_id == owner.id, Listing.title == row.title)
        )
        if exists is not None:
            continue
        fields = dict(row.extra)
        data = {"kind": row.kind, "category": row.category, "subcategory": row.subcategory}
        data |= {"title": row.title, "description": row.description} | _window(fields) | fields
        create_published(session, owner, data)
        created += 1
    return f"{created} listing(s) created"
