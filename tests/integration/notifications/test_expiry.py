from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mutualisation.audit.models import AuditEvent
from mutualisation.errors import NotFound
from mutualisation.listings.expiry import expire_listings, renew_listing, renewal_token, warn_expiring
from mutualisation.listings.models import ListingEvent
from mutualisation.notifications.models import Notification
from tests.builders import make_listing, make_user
from tests.integration.notifications.conftest import NOW

SECRET = "a test secret key of sufficient length"
TODAY = date(2026, 11, 26)


def _url(listing):
    return f"https://mutualisation.example/notifications/renew-listing/{renewal_token(SECRET, listing)}"


def _notifications(session, owner, kind):
    return session.scalars(select(Notification).filter_by(recipient_id=owner.id, kind=kind)).all()


def test_a_listing_past_its_window_expires_with_history_audit_and_a_notice(ctx, session):
    owner = make_user(session, "technician")
    old = make_listing(session, owner, available_until=TODAY - timedelta(days=1))
    current = make_listing(session, owner, available_until=TODAY)

    assert expire_listings(session, NOW) == 1

    assert (old.status, current.status) == ("expired", "published")
    event = session.scalars(select(ListingEvent).filter_by(listing_id=old.id)).one()
    assert (event.from_status, event.to_status, event.actor_id) == ("published", "expired", None)
    assert session.scalars(select(AuditEvent).filter_by(action="listing.expire", object_id=str(old.id))).one()
    [notice] = _notifications(session, owner, "listing.expired")
    assert notice.link == f"/listings/{old.id}" and notice.email_status == "digest"
    assert expire_listings(session, NOW) == 0


def test_the_expiry_day_is_the_paris_day(ctx, session):
    owner = make_user(session, "technician")
    listing = make_listing(session, owner, available_until=TODAY)
    # 23:30 UTC on the 26th is already the 27th in Paris: the listing's last day is over.
    late_evening_utc = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert expire_listings(session, late_evening_utc) == 1
    assert listing.status == "expired"


def test_owners_are_warned_once_ahead_with_a_one_click_renewal(ctx, session):
    owner = make_user(session, "technician")
    soon = make_listing(session, owner, available_until=TODAY + timedelta(days=7))
    make_listing(session, owner, available_until=TODAY + timedelta(days=8))

    assert warn_expiring(session, NOW, 7, _url) == 1
    assert warn_expiring(session, NOW + timedelta(hours=6), 7, _url) == 0
    [warning] = _notifications(session, owner, "listing.expiring")
    assert warning.object_id == str(soon.id)
    assert "/notifications/renew-listing/" in warning.body
    assert "«\u00a0" + soon.title + "\u00a0»" in warning.subject
    # The next day, the other listing enters the window; the first is not warned again.
    assert warn_expiring(session, NOW + timedelta(days=1), 7, _url) == 1
    assert len(_notifications(session, owner, "listing.expiring")) == 2


def test_the_renewal_link_extends_the_listing_once(ctx, session):
    owner = make_user(session, "technician")
    listing = make_listing(session, owner, available_until=TODAY - timedelta(days=2))
    expire_listings(session, NOW)
    token = renewal_token(SECRET, listing)

    renewed = renew_listing(session, SECRET, token, NOW, 30)

    assert renewed.status == "published"
    assert renewed.available_until == TODAY + timedelta(days=30)
    assert session.scalars(select(AuditEvent).filter_by(action="listing.renewed")).one().actor_id == owner.id
    with pytest.raises(NotFound):
        renew_listing(session, SECRET, token, NOW, 30)
    with pytest.raises(NotFound):
        renew_listing(session, "another secret key of some length", renewal_token(SECRET, listing), NOW, 30)
