"""Every page shows times in Europe/Paris (issue 10, item 14): a moment stored at 23:30 UTC on
30 November is 00:30 on 1 December in Paris, on histories, timelines, lists and notifications alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update

from mutualisation.agreements.models import Agreement, AgreementEvent
from mutualisation.listings.models import ListingEvent
from mutualisation.notifications.models import Notification
from tests.builders import login, make_agreement, make_listing, make_notification, make_user

LATE_UTC = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
PARIS_MOMENT = "1er décembre 2026 à 00:30"
PARIS_DAY = "1er décembre 2026"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _at_late_evening(session) -> None:
    session.execute(update(AgreementEvent).values(at=LATE_UTC))
    session.execute(update(Agreement).values(updated_at=LATE_UTC, status_changed_at=LATE_UTC))
    session.execute(update(ListingEvent).values(at=LATE_UTC))
    session.execute(update(Notification).values(created_at=LATE_UTC))
    session.flush()
    session.expire_all()


def test_histories_timelines_lists_and_notifications_show_paris_time(app, client, session):
    loos, malaunay = make_user(session, "technician", "62528"), make_user(session, "technician", "76402")
    agreement = make_agreement(session, malaunay, loos, "pending_approval")
    listing = make_listing(session, malaunay, status="draft")
    session.add(ListingEvent(listing_id=listing.id, actor_id=malaunay.id, to_status="draft", at=LATE_UTC))
    with app.test_request_context():
        make_notification(session, malaunay)
    _at_late_evening(session)
    login(client, malaunay)
    pages = {
        f"/agreements/{agreement.id}": PARIS_MOMENT,
        "/agreements?status=pending_approval": PARIS_DAY,
        f"/listings/{listing.id}": PARIS_MOMENT,
        "/notifications": PARIS_MOMENT,
    }
    for path, expected in pages.items():
        page = client.get(path).get_data(as_text=True)
        assert expected in page, path
        assert "30 novembre 2026 à 23:30" not in page, path
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, make_user(session, "official", "76402"))
    assert PARIS_DAY in client.get("/agreements/approvals").get_data(as_text=True)


def _token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_no_template_formats_a_time_by_itself():
    """Every time goes through the `when` and `day` filters: strftime or Babel's own filters
    would each pick a time zone of their own."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(r"\.strftime\(|\|\s*datetimeformat|\|\s*timeformat", path.read_text("utf-8"))
    ]
    assert offenders == []
