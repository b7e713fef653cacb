"""Demo: compute the suggestions of the demo listings (run after the listings' demo), then decide a
few of them as a network in use has, so that the facilitator's page has rates and reasons to show."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..accounts.models import User
from ..listings.models import Listing
from . import engine, services
from .models import Suggestion
from .scoring import MatchingConfig

# (reason, text) of the demo's dismissals, the weakest suggestions first.
DEMO_DISMISSALS = (
    ("too_far", "Trop loin pour un prêt à la journée : le transport coûterait plus que la location."),
    ("dates_dont_fit", ""),
)


def load(session: Session) -> str:
    """Full recompute, then the demo's decisions: idempotent, a second run changes nothing."""
    settings = {}
    try:
        from flask import current_app

        settings = dict(current_app.config.get("matching", {}))
    except RuntimeError:
        pass
    counts = engine.full_recompute(session, MatchingConfig.from_mapping(settings), notify=False)
    dismissed = _dismiss_some(session)
    return (
        f"suggestions: {counts.inserted} new, {counts.updated} updated, {counts.deleted} removed, "
        f"{dismissed} dismissed"
    )


def _dismiss_some(session: Session) -> int:
    """Dismiss the weakest suggestions, with `DEMO_DISMISSALS`' reasons, as the technician of the
    need's territory would: only where every territory involved keeps another active suggestion
    (each demo technician's dashboard shows some), and only while nothing was decided yet."""
    if session.scalar(select(func.count()).select_from(Suggestion).where(Suggestion.status != "active")):
        return 0
    offer, need = aliased(Listing), aliased(Listing)
    rows = session.execute(
        select(Suggestion.id, need.territory_id, offer.territory_id)
        .join(offer, offer.id == Suggestion.offer_id)
        .join(need, need.id == Suggestion.need_id)
        .order_by(Suggestion.score, Suggestion.id)
    ).all()
    technicians: dict[int, User] = {}  # the first of each territory
    for user in session.scalars(
        select(User).where(User.role == "technician", User.is_active).order_by(User.id)
    ):
        technicians.setdefault(user.territory_id, user)
    active = Counter(t for _id, *pair in rows for t in set(pair))
    done = 0
    for suggestion_id, need_territory, offer_territory in rows:
        if done == len(DEMO_DISMISSALS):
            break
        territories = {need_territory, offer_territory}
        technician = technicians.get(need_territory)
        if technician is None or any(active[t] < 2 for t in territories):
            continue
        reason, text = DEMO_DISMISSALS[done]
        services.dismiss(session, technician, suggestion_id, reason, text)
        active.subtract(territories)
        done += 1
    return done
