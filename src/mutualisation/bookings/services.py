"""Calendar feeds: the secret tokens (show, regenerate, revoke) and the events each feed holds.

A user's feed holds the handovers, returns, decision deadlines and reminders of the agreements
they may read; a territory's feed holds its bookable offers' bookings. Events are built here as
plain `ical.FeedEvent` values and written by the pure `ical.build_calendar`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import OFFICIAL, TERRITORY_STAFF
from ..agreements import queries as agreement_queries
from ..agreements.models import Agreement
from ..agreements.vocabulary import Status
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, PermissionDenied
from ..formatting import day as day_text
from ..i18n import N_
from ..listings import bookings as listing_bookings
from ..territories.models import Territory
from .ical import PARIS, FeedEvent, build_calendar
from .models import CalendarFeed, new_feed_token

USER, TERRITORY = "user", "territory"
UNKNOWN_FEED = N_("This calendar address is not valid (any more).")
# The agreements whose dates still matter to their parties.
LIVE = (
    Status.PROPOSED,
    Status.NEGOTIATING,
    Status.PENDING_APPROVAL,
    Status.APPROVED,
    Status.SIGNED,
    Status.IN_PROGRESS,
    Status.RETURNED,
)
TENTATIVE = (Status.PROPOSED, Status.NEGOTIATING, Status.PENDING_APPROVAL)
MAX_EVENTS_AGREEMENTS = 500


@dataclass(frozen=True)
class Delays:
    """The `[agreements]` delays the feed's deadlines and reminders are computed from."""

    proposal_expiry_days: int
    approval_reminder_days: int
    end_reminder_days: int

    @classmethod
    def of(cls, section: Any) -> Delays:
        """From the typed `[agreements]` settings section (settings_schema.AgreementsSection)."""
        return cls(section.proposal_expiry_days, section.approval_reminder_days, section.end_reminder_days)


# Tokens ----------------------------------------------------------------------------------------
def may_manage_territory_feed(user: User) -> bool:
    """Technicians and officials manage their territory's equipment feed."""
    return user.is_active and user.role in TERRITORY_STAFF


def feeds_of(session: Session, user: User) -> dict[str, CalendarFeed | None]:
    """The user's own feed and, for territory staff, their territory's (None: not created yet)."""
    own = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    territory = None
    if may_manage_territory_feed(user):
        territory = session.scalar(select(CalendarFeed).where(CalendarFeed.territory_id == user.territory_id))
    return {USER: own, TERRITORY: territory}


def _owner_filter(user: User, which: str) -> dict[str, int]:
    if which == USER:
        return {"user_id": user.id}
    if which == TERRITORY and may_manage_territory_feed(user):
        return {"territory_id": user.territory_id}
    raise PermissionDenied(N_("Only the territory's technicians and officials manage its calendar."))


def regenerate(session: Session, user: User, which: str) -> CalendarFeed:
    """A new secret for the feed (created if needed): the old address stops working at once."""
    owner = _owner_filter(user, which)
    with transaction(session):
        feed = session.scalars(select(CalendarFeed).filter_by(**owner)).one_or_none()
        created = feed is None
        if feed is None:
            feed = CalendarFeed(**owner, created_by_id=user.id)
            session.add(feed)
        feed.token, feed.created_at, feed.created_by_id = new_feed_token(), utcnow(), user.id
        session.flush()
        record(
            session,
            user.id,
            "calendar_feed.regenerate",
            "calendar_feed",
            feed.id,
            which=which,
            created=created,
        )
    return feed


def revoke(session: Session, user: User, which: str) -> bool:
    """Delete the feed: its address stops working. False when there was none."""
    owner = _owner_filter(user, which)
    with transaction(session):
        feed = session.scalars(select(CalendarFeed).filter_by(**owner)).one_or_none()
        if feed is None:
            return False
        record(session, user.id, "calendar_feed.revoke", "calendar_feed", feed.id, which=which)
        session.delete(feed)
    return True


def _feed(session: Session, token: str, which: str) -> CalendarFeed:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    owner = None if feed is None else (feed.user_id if which == USER else feed.territory_id)
    if feed is None or owner is None:
        raise NotFound(UNKNOWN_FEED)
    return feed


# Events ----------------------------------------------------------------------------------------
Link = Callable[[int], str]


def _at_nine(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), PARIS)


def _end_of(agreement: Agreement) -> dt.date | None:
    terms = agreement.current_terms()
    return agreement.extended_ends_on or (terms.ends_on if terms is not None else None)


def _dates_events(agreement: Agreement, link: Link, uid: str) -> list[FeedEvent]:
    terms = agreement.current_terms()
    if terms is None:
        return []
    title, url = agreement.title, link(agreement.id)
    note = gettext("Tentative: not approved yet.") if agreement.status in TENTATIVE else ""
    events = []
    if terms.starts_on is not None and agreement.status not in (Status.IN_PROGRESS, Status.RETURNED):
        summary = gettext("Handover: %(title)s", title=title)
        events.append(
            FeedEvent(
                f"handover-{uid}", summary, terms.starts_on, note, url, "handover", dt.timedelta(days=1)
            )
        )
    end = _end_of(agreement)
    if end is not None and agreement.kind == "loan" and agreement.status != Status.RETURNED:
        summary = gettext("Return: %(title)s", title=title)
        events.append(FeedEvent(f"return-{uid}", summary, end, note, url, "return", dt.timedelta(days=1)))
    return events


def _deadline_events(
    agreement: Agreement, user: User, delays: Delays, link: Link, uid: str
) -> list[FeedEvent]:
    title, url, since = agreement.title, link(agreement.id), agreement.status_changed_at
    if agreement.status in (Status.PROPOSED, Status.NEGOTIATING) and since is not None:
        moment = since + dt.timedelta(days=delays.proposal_expiry_days)
        summary = gettext("Answer due, or the proposal expires: %(title)s", title=title)
        return [FeedEvent(f"answer-{uid}", summary, moment, "", url, "deadline", dt.timedelta(days=2))]
    if agreement.status == Status.PENDING_APPROVAL and user.role == OFFICIAL and since is not None:
        moment = since + dt.timedelta(days=delays.approval_reminder_days)
        summary = gettext("Approval awaited: %(title)s", title=title)
        return [FeedEvent(f"approval-{uid}", summary, moment, "", url, "deadline", dt.timedelta(days=1))]
    end = _end_of(agreement)
    if agreement.status == Status.IN_PROGRESS and agreement.kind == "loan" and end is not None:
        moment = _at_nine(end - dt.timedelta(days=delays.end_reminder_days))
        summary = gettext("Reminder: return due on %(day)s for %(title)s", day=day_text(end), title=title)
        return [FeedEvent(f"reminder-{uid}", summary, moment, "", url, "reminder")]
    return []


def user_feed(session: Session, token: str, delays: Delays, link: Link, now: dt.datetime, host: str) -> bytes:
    """The user's feed (404 for an unknown or revoked token, or an inactive user)."""
    feed = _feed(session, token, USER)
    user = session.get(User, feed.user_id)
    if user is None or not user.is_active:
        raise NotFound(UNKNOWN_FEED)
    agreements, _total = agreement_queries.list_for(
        session, user, statuses=[str(s) for s in LIVE], limit=MAX_EVENTS_AGREEMENTS
    )
    events = []
    for agreement in agreements:
        uid = f"agreement-{agreement.id}@{host}"
        events += _dates_events(agreement, link, uid)
        events += _deadline_events(agreement, user, delays, link, uid)
    return build_calendar(gettext("Mutualisation: my loans and agreements"), events, now)


def territory_feed(session: Session, token: str, link: Link, now: dt.datetime, host: str) -> bytes:
    """The bookings of the territory's bookable offers, one all-day event per booking."""
    feed = _feed(session, token, TERRITORY)
    territory = session.get(Territory, feed.territory_id)
    if territory is None:
        raise NotFound(UNKNOWN_FEED)
    bookings = listing_bookings.territory_bookings(session, territory.id)
    # Their agreements in one query (not one per booking): the feed holds every booking.
    ids = {booking.agreement_id for booking, _listing in bookings}
    agreements = {a.id: a for a in session.scalars(select(Agreement).where(Agreement.id.in_(ids)))}
    events = []
    for booking, listing in bookings:
        agreement = agreements.get(booking.agreement_id)
        if agreement is None:
            continue
        state = gettext("booked") if booking.state == "booked" else gettext("tentative")
        summary = gettext(
            "%(title)s: %(units)s lent to %(party)s (%(state)s)",
            title=listing.title,
            units=booking.units,
            party=agreement.beneficiary_territory.name,
            state=state,
        )
        events.append(
            FeedEvent(
                f"booking-{booking.agreement_id}@{host}",
                summary,
                booking.starts_on,
                agreement.title,
                link(agreement.id),
                "booking",
                last_day=booking.ends_on,
            )
        )
    return build_calendar(gettext("Mutualisation: equipment of %(name)s", name=territory.name), events, now)
