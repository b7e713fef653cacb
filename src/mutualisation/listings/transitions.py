"""Status changes of a listing: the owner's (publish, withdraw, renew) and the other domains'
(reserve, release, fulfil by agreements; expire by the scheduler).

Each applies `lifecycle.transition`, writes a ListingEvent and an audit event, commits once,
then tells the followers in `hooks` (matching).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, RuleViolation
from ..i18n import N_
from . import hooks, lifecycle
from .models import Listing, ListingEvent
from .permissions import LISTING_NOT_FOUND, get_for_management

INVALID = N_("Some fields are not valid.")
IN_THE_PAST = N_("This date is in the past.")
CHANGE_NAMES = {
    "publish": "published",
    "reserve": "reserved",
    "release": "released",
    "fulfil": "fulfilled",
    "expire": "expired",
    "withdraw": "withdrawn",
    "renew": "renewed",
}


def add_event(
    session: Session,
    listing: Listing,
    actor_id: int | None,
    from_status: str | None,
    to_status: str,
    comment: str | None = None,
) -> None:
    session.add(
        ListingEvent(
            listing_id=listing.id,
            actor_id=actor_id,
            from_status=from_status,
            to_status=to_status,
            comment=comment,
        )
    )


def apply_transition(
    session: Session, listing: Listing, action: str, actor_id: int | None, comment: str | None = None
) -> lifecycle.Transition:
    """Change the listing's status inside the caller's transaction, with its event and audit."""
    reusable = lifecycle.is_reusable(listing.inexhaustible, listing.recurring)
    step = lifecycle.transition(listing.status, action, reusable=reusable)
    listing.status = step.to_status
    if step.to_status == lifecycle.PUBLISHED and listing.published_at is None:
        listing.published_at = utcnow()
    add_event(session, listing, actor_id, step.from_status, step.to_status, comment)
    extra = {"comment": comment} if comment else {}
    record(
        session,
        actor_id,
        f"listing.{action}",
        "listing",
        listing.id,
        from_status=step.from_status,
        to_status=step.to_status,
        **extra,
    )
    return step


def check_publishable(available_until: date | None) -> None:
    """A listing whose window is already over cannot be published."""
    if available_until is not None and available_until < date.today():
        raise RuleViolation(
            N_("The availability window is over: change its end date first."),
            {"available_until": [IN_THE_PAST]},
        )


def _transition(session: Session, user: Any, listing: Listing, action: str) -> Listing:
    with transaction(session):
        apply_transition(session, listing, action, user.id)
    hooks.listing_changed(session, listing.id, CHANGE_NAMES[action])
    return listing


def publish(session: Session, user: Any, listing_id: int) -> Listing:
    listing = get_for_management(session, user, listing_id)
    check_publishable(listing.available_until)
    return _transition(session, user, listing, "publish")


def withdraw(
    session: Session, user: Any, listing_id: int, reason: str | None, reason_text: str | None = None
) -> Listing:
    """Withdraw with a reason code (exchanged_elsewhere, no_longer_available, other + free text)."""
    stored = lifecycle.withdrawal_reason(reason, reason_text)
    listing = get_for_management(session, user, listing_id)
    with transaction(session):
        apply_transition(session, listing, "withdraw", user.id, stored)
        listing.withdrawal_reason = stored
    hooks.listing_changed(session, listing.id, "withdrawn")
    return listing


def renew(session: Session, user: Any, listing_id: int, available_until: date | None = None) -> Listing:
    """Publish an expired listing again, with a new end date (or none)."""
    listing = get_for_management(session, user, listing_id)
    today = date.today()
    if available_until is not None and available_until < today:
        raise RuleViolation(INVALID, {"available_until": [IN_THE_PAST]})
    with transaction(session):
        apply_transition(session, listing, "renew", user.id)
        if listing.available_from is not None and listing.available_from < today:
            listing.available_from = today
        listing.available_until = available_until
    hooks.listing_changed(session, listing.id, "renewed")
    return listing


# Calls from other domains (agreements, scheduler) ------------------------------------------


def _system_transition(
    session: Session,
    listing_id: int,
    action: str,
    actor_id: int | None,
    commit: bool,
    comment: str | None = None,
) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(LISTING_NOT_FOUND)
    if commit:
        with transaction(session):
            apply_transition(session, listing, action, actor_id, comment)
        hooks.listing_changed(session, listing.id, CHANGE_NAMES[action])
    else:
        apply_transition(session, listing, action, actor_id, comment)
        session.flush()
        hooks.queue(session, listing.id, CHANGE_NAMES[action])
    return listing


def reserve(
    session: Session,
    listing_id: int,
    *,
    actor_id: int | None = None,
    commit: bool = True,
    comment: str | None = None,
) -> Listing:
    """An agreement on this listing was accepted: published → reserved (reusable ones stay published).

    With commit=False the change joins the caller's transaction; call `hooks.run_pending(session)`
    after committing it.
    """
    return _system_transition(session, listing_id, "reserve", actor_id, commit, comment)


def release(
    session: Session,
    listing_id: int,
    *,
    actor_id: int | None = None,
    commit: bool = True,
    comment: str | None = None,
) -> Listing:
    """The agreement fell through: reserved → published."""
    return _system_transition(session, listing_id, "release", actor_id, commit, comment)


def fulfil(
    session: Session,
    listing_id: int,
    *,
    actor_id: int | None = None,
    commit: bool = True,
    comment: str | None = None,
) -> Listing:
    """The agreement was carried out: → fulfilled (inexhaustible or recurring listings stay published)."""
    return _system_transition(session, listing_id, "fulfil", actor_id, commit, comment)


def expire(session: Session, listing_id: int, *, commit: bool = True, comment: str | None = None) -> Listing:
    """The listing's window is over: → expired (the scheduler's expiry job, see listings/expiry.py)."""
    return _system_transition(session, listing_id, "expire", None, commit, comment)
