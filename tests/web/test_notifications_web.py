from __future__ import annotations

from datetime import date, timedelta

import pytest

from mutualisation.accounts.services import create_token
from mutualisation.db import transaction
from mutualisation.listings.expiry import renewal_token
from mutualisation.notifications.mail import unsubscribe_token
from mutualisation.notifications.models import NotificationPreference
from mutualisation.scheduler import now_paris
from mutualisation.scheduling.models import JobRun
from tests.builders import csrf_token, login, make_listing, make_notification, make_user


def _notify(app, session, user, n=1, **params):
    with app.app_context(), transaction(session):
        return [
            make_notification(session, user, subject="An agreement was approved", **params) for _ in range(n)
        ]


def _bearer(session, user):
    _token, clear = create_token(session, user, "test")
    return {"Authorization": f"Bearer {clear}"}


def test_the_bell_shows_the_unread_count_with_a_french_label(app, client, session):
    user = make_user(session, "official")
    _notify(app, session, user, n=3)
    login(client, user)

    html = client.get("/").get_data(as_text=True)

    assert '<span class="visually-hidden">Notifications non lues\u00a0:</span>' in html
    assert '<span class="badge text-bg-light">3</span>' in html


def test_the_centre_lists_newest_first_and_marks_one_then_all_as_read(app, client, session):
    user = make_user(session, "official")
    first, second = _notify(app, session, user, n=2)
    login(client, user)

    html = client.get("/notifications").get_data(as_text=True)
    assert html.index(f"/notifications/{second.id}/read") < html.index(f"/notifications/{first.id}/read")
    assert "Une convention a été approuvée" in html

    token = csrf_token(client, "/notifications")
    client.post(f"/notifications/{first.id}/read", data={"csrf_token": token})
    session.refresh(first)
    assert first.read_at is not None
    assert client.get("/notifications?unread=true").get_data(as_text=True).count("Marquer comme lue<") == 1

    client.post("/notifications/read-all", data={"csrf_token": token})
    session.refresh(second)
    assert second.read_at is not None


def test_marking_as_read_needs_the_csrf_token(app, client, session):
    user = make_user(session, "official")
    [notification] = _notify(app, session, user)
    login(client, user)

    assert client.post(f"/notifications/{notification.id}/read").status_code == 400
    session.refresh(notification)
    assert notification.read_at is None


def test_the_centre_is_paginated(app, client, session):
    user = make_user(session, "official")
    _notify(app, session, user, n=3)
    login(client, user)

    html = client.get("/notifications?per_page=2&page=2").get_data(as_text=True)
    assert html.count("Marquer comme lue<") == 1
    assert "Page 2 sur 2" in html


def test_the_preferences_page_saves_a_frequency_per_kind(app, client, session):
    user = make_user(session, "official")
    login(client, user)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Une convention attend votre approbation" in page
    assert '<label class="form-label" for="kind__matching__new_suggestion">' in page

    token = csrf_token(client, "/notifications/preferences")
    response = client.post(
        "/notifications/preferences",
        data={
            "csrf_token": token,
            "kind__matching__new_suggestion": "weekly",
            "kind__listing__expired": "none",
        },
    )

    assert response.status_code == 302
    saved = {p.kind: p.frequency for p in session.query(NotificationPreference).filter_by(user_id=user.id)}
    assert saved["matching.new_suggestion"] == "weekly" and saved["listing.expired"] == "none"
    assert saved["agreement.approval_requested"] == "immediate"


def test_the_unsubscribe_link_sets_that_kind_to_none_in_one_click(app, client, session):
    user = make_user(session, "official")
    token = unsubscribe_token(app.config["SECRET_KEY"], user.id, "matching.new_suggestion")

    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200 and "Nouvelles suggestions" in page.get_data(as_text=True)
    done = client.post(f"/notifications/unsubscribe/{token}")  # a mail client's one-click POST

    assert done.status_code == 200
    pref = (
        session.query(NotificationPreference).filter_by(user_id=user.id, kind="matching.new_suggestion").one()
    )
    assert pref.frequency == "none"
    assert client.get("/notifications/unsubscribe/forged-token").status_code == 404


def test_the_renewal_link_renews_the_listing_after_one_click(app, client, session):
    owner = make_user(session, "technician")
    today = now_paris().date()
    listing = make_listing(session, owner, available_until=today + timedelta(days=3))
    token = renewal_token(app.config["SECRET_KEY"], listing)

    assert client.get(f"/notifications/renew-listing/{token}").status_code == 200
    form_token = csrf_token(client, f"/notifications/renew-listing/{token}")
    response = client.post(f"/notifications/renew-listing/{token}", data={"csrf_token": form_token})

    assert response.status_code == 200
    session.refresh(listing)
    assert listing.available_until == today + timedelta(days=3 + 30)
    assert isinstance(listing.available_until, date)


def test_the_api_lists_the_callers_notifications_and_filters_unread(app, client, session):
    user = make_user(session, "official")
    first, _second = _notify(app, session, user, n=2)
    headers = _bearer(session, user)

    assert client.post(f"/api/v1/notifications/{first.id}/read", headers=headers).get_json()["read"] is True
    everything = client.get("/api/v1/notifications", headers=headers).get_json()
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()

    assert everything["total"] == 2 and everything["items"][0]["id"] > everything["items"][1]["id"]
    assert unread["total"] == 1 and unread["items"][0]["read"] is False
    assert set(everything) == {"items", "page", "per_page", "total"}


def test_only_the_recipient_can_mark_a_notification_read_through_the_api(app, client, session):
    owner, other = make_user(session, "official"), make_user(session, "technician")
    [notification] = _notify(app, session, owner)

    response = client.post(f"/api/v1/notifications/{notification.id}/read", headers=_bearer(session, other))

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/notifications").status_code == 401


@pytest.mark.parametrize("role", ["technician", "official", "actor"])
def test_the_jobs_page_is_forbidden_to_every_role_but_admin(client, session, role):
    login(client, make_user(session, role))
    assert client.get("/admin/jobs").status_code == 403


def test_the_admin_sees_last_runs_failures_and_failed_emails(app, client, session):
    admin = make_user(session, "admin")
    recipient = make_user(session, "official")
    [notification] = _notify(app, session, recipient)
    with transaction(session):
        notification.email_status, notification.last_error = "failed", "SMTPDataError: 554 refused"
        session.add(
            JobRun(
                job="matching.full_recompute",
                started_at=now_paris(),
                outcome="failed",
                counts={},
                error="Boom",
            )
        )
        session.add(
            JobRun(
                job="notifications.deliver_outbox", started_at=now_paris(), outcome="ok", counts={"sent": 4}
            )
        )
    login(client, admin)

    html = client.get("/admin/jobs").get_data(as_text=True)

    assert "Tâches planifiées" in html
    assert "matching.full_recompute" in html and "Boom" in html
    assert "sent\u00a0: 4" in html  # the French page's punctuation
    assert recipient.email in html and "554 refused" in html


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    assert client.get("/admin/jobs").status_code == 302
    assert client.get("/notifications").status_code == 302
