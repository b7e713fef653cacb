"""Saved searches (alerts): a user saves browse filters and is told when a new listing meets them.

Use cases: `create_alert`, `list_alerts`, `delete_alert` (owner only: another user's alert is
"not found"). `announce_new_listing` is the listings domain's own follower (listings/domain.py):
after a listing is published it finds the saved searches the listing meets (structured filters
by the pure `alert_rules`, the text by the full-text search on that one listing) and notifies
their owners through the notifications outbox, bell and e-mail according to each one's
preferences. The listing's own owner is never told of it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import require
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, RuleViolation, ValidationFailed
from ..fulltext import matching
from ..geo import great_circle_km
from ..i18n import N_, reader_language
from ..notifications import kinds
from ..notifications.services import notify
from ..territories.models import Territory
from ..territories.services import SEVERAL_COMMUNES, UNKNOWN_COMMUNE, resolve
from . import alert_rules, lifecycle
from .browse import INVALID, Filters, filter_errors
from .categories import category_label
from .labels import KIND_LABELS, label
from .models import Listing, SavedSearch
from .permissions import can_read_listing
from .text_search import LISTING_INDEX

ALERT_KIND = "listing.alert"
# Declared by listings/domain.py; create_app adds it to the notification kinds (and so to the
# e-mail preferences). Information, so the daily digest by default, like every information kind;
# the bell shows it at once, and a user may ask for immediate e-mails in the preferences.
ALERT_NOTICE = kinds.Kind(
    ALERT_KIND, _l("A new listing meets one of your saved searches"), kinds.DAILY, False
)
ALERT_NOT_FOUND = N_("No such saved search.")


def _near(
    session: Session, filters: dict[str, Any], picked: str | None
) -> tuple[Territory | None, list[str]]:
    """The commune a search looks around, resolved as the browse page resolves it (a name, a
    postcode or an INSEE code: territories' one resolver), or the error; the search keeps its code."""
    if not filters.get("near"):
        return None, []
    found = resolve(session, filters["near"], picked=picked)
    if len(found) > 1:
        return None, [SEVERAL_COMMUNES]
    if not found or found[0].latitude is None:
        return None, [UNKNOWN_COMMUNE]
    filters["near"] = found[0].code
    return found[0], []


def _errors(filters: dict[str, Any], label_text: str) -> dict[str, list[str]]:
    given: dict[str, Any] = {k: filters.get(k) for k in alert_rules.FILTER_KEYS}
    browse_filters = Filters(**given)
    errors = {k: v for k, v in filter_errors(browse_filters).items() if k in alert_rules.FILTER_KEYS}
    if "radius_km" in filters and not filters.get("near"):
        errors["radius_km"] = [N_("Choose a territory to search around.")]
    if len(filters.get("q", "")) > alert_rules.MAX_QUERY:
        errors["q"] = [N_("The search text is too long.")]
    if not filters:
        errors["q"] = [N_("Choose at least one filter to save this search.")]
    if len(label_text) > alert_rules.MAX_LABEL:
        errors["label"] = [N_("The name is too long.")]
    return errors


def _names(filters: dict[str, Any], place: Territory | None) -> dict[str, str]:
    names: dict[str, str] = {}
    language = reader_language()
    if filters.get("kind"):
        names[filters["kind"]] = label(KIND_LABELS, filters["kind"])
    if filters.get("category"):
        names[filters["category"]] = category_label(filters["category"], None, language)
    if filters.get("subcategory"):
        names[filters["subcategory"]] = category_label(
            filters.get("category", ""), filters["subcategory"], language
        )
    if place is not None:
        names[place.code] = place.name
    return names


def create_alert(session: Session, user: Any, data: dict[str, Any]) -> tuple[SavedSearch, bool]:
    """Save the user's browse filters under a label (one made from the filters when none is given);
    (the search, True), or (their search with the same filters, False) when one is saved already:
    a second copy would only crowd the list, since a listing is announced once a person anyway."""
    require(user, "network:read")
    try:
        filters = alert_rules.kept_filters(data)
    except (TypeError, ValueError):
        raise ValidationFailed(INVALID, {"radius_km": [N_("Enter a number.")]}) from None
    label_text = str(data.get("label") or "").strip()
    place, near_errors = _near(session, filters, data.get("near_code"))
    errors = _errors(filters, label_text) | ({"near": near_errors} if near_errors else {})
    if errors:
        raise ValidationFailed(INVALID, errors)
    mine = list_alerts(session, user)
    same = [alert for alert in mine if alert_rules.same_search(alert.filters, filters)]
    if same:
        return same[0], False
    if len(mine) >= alert_rules.MAX_ALERTS:
        raise RuleViolation(N_("You already have the most saved searches allowed: delete one first."))
    with transaction(session):
        alert = SavedSearch(
            user_id=user.id,
            filters=filters,
            label=label_text or alert_rules.default_label(filters, _names(filters, place)),
        )
        session.add(alert)
        session.flush()
        record(session, user.id, "saved_search.created", "saved_search", alert.id, filters=filters)
    return alert, True


def list_alerts(session: Session, user: Any) -> list[SavedSearch]:
    """The user's saved searches, newest first."""
    require(user, "network:read")
    query = select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.id.desc())
    return list(session.scalars(query))


def delete_alert(session: Session, user: Any, alert_id: int) -> None:
    """Delete one of the user's saved searches; someone else's is not found (no leak)."""
    require(user, "network:read")
    alert = session.get(SavedSearch, alert_id)
    if alert is None or alert.user_id != user.id:
        raise NotFound(ALERT_NOT_FOUND)
    with transaction(session):
        record(session, user.id, "saved_search.deleted", "saved_search", alert.id, filters=alert.filters)
        session.delete(alert)


def _facts(listing: Listing, reference: Territory | None) -> alert_rules.ListingFacts:
    distance = None
    if reference is not None and listing.latitude is not None and listing.longitude is not None:
        distance = float(
            great_circle_km(reference.latitude, reference.longitude, listing.latitude, listing.longitude)
        )
    return alert_rules.ListingFacts(listing.kind, listing.category, listing.subcategory, distance)


def _text_met(session: Session, listing_id: int, q: str | None, cache: dict[str, bool]) -> bool:
    if not q:
        return True
    if q not in cache:
        condition = matching(session, LISTING_INDEX, q)
        query = select(Listing.id).where(Listing.id == listing_id)
        cache[q] = condition is None or session.scalar(query.where(condition)) is not None
    return cache[q]


def searches_met_by(session: Session, listing: Listing) -> list[SavedSearch]:
    """The saved searches of other users that this published listing meets."""
    searches = list(session.scalars(select(SavedSearch).where(SavedSearch.user_id != listing.owner_id)))
    codes = {s.filters["near"] for s in searches if s.filters.get("near")}
    places = {t.code: t for t in session.scalars(select(Territory).where(Territory.code.in_(codes)))}
    texts: dict[str, bool] = {}
    return [
        s
        for s in searches
        if alert_rules.meets_structured_filters(
            s.filters, _facts(listing, places.get(s.filters.get("near", "")))
        )
        and _text_met(session, listing.id, s.filters.get("q"), texts)
    ]


def announce_new_listing(session: Session, listing_id: int, change: str) -> None:
    """Listing follower: tell the owners of the saved searches a newly published listing meets."""
    if change != "published":
        return
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status != lifecycle.PUBLISHED:
        return
    met = searches_met_by(session, listing)
    if not met:
        return
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({s.user_id for s in met})))}
    told: set[int] = set()
    with transaction(session):
        for search in met:
            user = users.get(search.user_id)
            if user is None or user.id in told or not user.is_active or not can_read_listing(user, listing):
                continue
            told.add(user.id)  # one notice per person, however many of their searches it meets
            notify(
                session,
                user,
                ALERT_KIND,
                N_("New listing for your search: %(label)s"),
                N_("“%(title)s” has just been published."),
                object_type="listing",
                object_id=listing.id,
                link=f"/listings/{listing.id}",
                label=search.label,
                title=listing.title,
            )
            search.last_notified_at = utcnow()
