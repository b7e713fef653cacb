"""Listing expiry, run by the scheduler: warn owners ahead, expire listings past their window,
and the one-click renewal offered in the warning.

Coordinates with the rest of the listings domain only through the Listing model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..audit.services import record
from ..db import transaction
from ..errors import NotFound, RuleViolation
from ..i18n import N_
from ..notifications.models import Notification
from ..notifications.services import notify
from . import hooks
from . import transitions as listing_transitions
from .models import Listing, ListingEvent

PARIS = ZoneInfo("Europe/Paris")
_RENEWAL_SALT = "listings.renewal"


def paris_day(now: datetime) -> date:
    return now.astimezone(PARIS).date()


def listing_link(listing_id: int) -> str:
    return f"/listings/{listing_id}"


# Signed renewal links ------------------------------------------------------------------------------


def renewal_token(secret_key: str, listing: Listing) -> str:
    """Bound to the listing, its owner and its current end date: once renewed, the link is spent."""
    until = listing.available_until.isoformat() if listing.available_until else ""
    return URLSafeSerializer(secret_key, salt=_RENEWAL_SALT).dumps([listing.id, listing.owner_id, until])


def read_renewal_token(secret_key: str, token: str) -> tuple[int, int, str] | None:
    try:
        listing_id, owner_id, until = URLSafeSerializer(secret_key, salt=_RENEWAL_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return int(listing_id), int(owner_id), str(until)


# Use cases ---------------------------------------------------------------------------------------------


def warn_expiring(
    session: Session, now: datetime, warning_days: int, renewal_url: Callable[[Listing], str]
) -> int:
    """Tell owners of published listings ending within `warning_days` days, once per window."""
    today = paris_day(now)
    with transaction(session):
        listings = list(
            session.scalars(
                select(Listing).where(
                    Listing.status == "published",
                    Listing.available_until.is_not(None),
                    Listing.available_until >= today,
                    Listing.available_until <= today + timedelta(days=warning_days),
                )
            )
        )
        if not listings:
            return 0
        since = now - timedelta(days=warning_days + 1)
        warned = set(
            session.scalars(
                select(Notification.object_id).where(
                    Notification.kind == "listing.expiring",
                    Notification.object_type == "listing",
                    Notification.object_id.in_([str(listing.id) for listing in listings]),
                    Notification.created_at >= since,
                )
            )
        )
        count = 0
        for listing in listings:
            if str(listing.id) in warned:
                continue
            notify(
                session,
                listing.owner,
                "listing.expiring",
                N_('Your listing "%(title)s" expires on %(date)s'),
                N_("Still available? Renew it in one click: %(url)s"),
                object_type="listing",
                object_id=listing.id,
                link=listing_link(listing.id),
                title=listing.title,
                date=_day(listing.available_until),
                url=renewal_url(listing),
            )
            count += 1
    return count


def _day(value: date | None) -> date:
    # Only listings with an end date are warned about or renewed by link: the queries ensure it.
    assert value is not None
    return value


def expire_listings(session: Session, now: datetime) -> int:
    """Published listings whose window has passed become `expired` (history, audit, owner told)."""
    today = paris_day(now)
    with transaction(session):
        listings = list(
            session.scalars(
                select(Listing).where(
                    Listing.status == "published",
                    Listing.available_until.is_not(None),
                    Listing.available_until < today,
                )
            )
        )
        for listing in listings:
            listing_transitions.expire(session, listing.id, commit=False, comment="available_until passed")
            notify(
                session,
                listing.owner,
                "listing.expired",
                N_('Your listing "%(title)s" has expired'),
                N_("It is no longer shown to other territories. You can publish it again from its page."),
                object_type="listing",
                object_id=listing.id,
                link=listing_link(listing.id),
                title=listing.title,
            )
    hooks.run_pending(session)  # matching drops the suggestions of what just expired
    return len(listings)


def renew_listing(session: Session, secret_key: str, token: str, now: datetime, renewal_days: int) -> Listing:
    """The one-click renewal: the signed link stands for the owner, and only works once."""
    data = read_renewal_token(secret_key, token)
    if data is None:
        raise NotFound(N_("This link is no longer valid."))
    listing_id, owner_id, until = data
    with transaction(session):
        listing = session.get(Listing, listing_id)
        current = listing.available_until.isoformat() if listing and listing.available_until else ""
        if listing is None or listing.owner_id != owner_id or current != until:
            raise NotFound(N_("This link is no longer valid."))
        if listing.status not in ("published", "expired"):
            raise RuleViolation(N_("Only a published or expired listing can be renewed."))
        owner = session.get(User, owner_id)
        before = listing.status
        today = paris_day(now)
        until_day = max(today, listing.available_until or today) + timedelta(days=renewal_days)
        listing.available_until = until_day
        listing.status = "published"
        session.add(
            ListingEvent(
                listing_id=listing.id,
                at=now,
                actor_id=owner.id if owner else None,
                from_status=before,
                to_status="published",
                comment=f"renewed until {until_day.isoformat()}",
            )
        )
        record(
            session,
            owner_id,
            "listing.renewed",
            "listing",
            listing.id,
            available_until=until_day.isoformat(),
        )
    hooks.listing_changed(session, listing.id, "renewed")
    return listing
