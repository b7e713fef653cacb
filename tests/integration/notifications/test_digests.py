from __future__ import annotations

from datetime import timedelta

import time_machine

from mutualisation.db import transaction
from mutualisation.notifications.delivery import deliver_outbox, send_digests
from mutualisation.notifications.models import Notification
from mutualisation.notifications.services import update_preferences
from tests.builders import make_notification, make_user
from tests.integration.notifications.conftest import NOW
from tests.smtp_sink import html_part, text_part


def _write(session, user, at, kind="listing.expiring", object_id=1, subject="A listing is about to expire"):
    with time_machine.travel(at, tick=False), transaction(session):
        return make_notification(
            session,
            user,
            kind,
            subject=subject,
            object_type="listing",
            object_id=object_id,
            link=f"/listings/{object_id}",
        )


def test_a_daily_digest_groups_items_by_object_newest_first_and_is_sent_once(
    ctx, session, smtp_sink, mail_settings
):
    user = make_user(session, "technician")
    _write(session, user, NOW - timedelta(hours=5), object_id=1)
    _write(session, user, NOW - timedelta(hours=3), object_id=2)
    _write(
        session,
        user,
        NOW - timedelta(hours=1),
        object_id=1,
        kind="listing.expired",
        subject="A listing has expired",
    )

    assert deliver_outbox(session, mail_settings, NOW)["sent"] == 0  # digest items are not sent one by one
    counts = send_digests(session, mail_settings, "daily", NOW)
    again = send_digests(session, mail_settings, "daily", NOW + timedelta(days=1))

    assert counts == {"digests": 1, "items": 3, "retried": 0, "failed": 0}
    assert again["digests"] == 0
    [message] = smtp_sink.messages
    assert message["Subject"] == "Votre résumé du jour\u00a0: 3 notifications"
    text = text_part(message)
    # Listing 1 has the newest item, so its group comes first, holding both of its items.
    assert text.index("/listings/1") < text.index("/listings/2")
    assert text.index("Une annonce a expiré") < text.index("Une annonce arrive à expiration")
    assert html_part(message).count("<li><a href=") == 2
    assert message["List-Unsubscribe"] is None  # two kinds: one link per kind in the body instead
    assert text.count("/notifications/unsubscribe/") == 2


def test_an_empty_digest_is_never_sent(ctx, session, smtp_sink, mail_settings):
    make_user(session, "technician")

    counts = send_digests(session, mail_settings, "daily", NOW)

    assert counts["digests"] == 0
    assert smtp_sink.messages == []


def test_weekly_items_wait_for_the_weekly_digest(ctx, session, smtp_sink, mail_settings):
    user = make_user(session, "technician")
    update_preferences(session, user, {"listing.expiring": "weekly"})
    _write(session, user, NOW - timedelta(hours=1))

    assert send_digests(session, mail_settings, "daily", NOW)["digests"] == 0
    assert send_digests(session, mail_settings, "weekly", NOW)["items"] == 1
    [message] = smtp_sink.messages
    assert message["Subject"] == "Votre résumé de la semaine\u00a0: 1 notification"
    assert message["List-Unsubscribe"].startswith("<https://mutualisation.example/notifications/unsubscribe/")


def test_items_written_after_the_digest_time_wait_for_the_next_one(ctx, session, smtp_sink, mail_settings):
    user = make_user(session, "technician")
    late = _write(session, user, NOW + timedelta(minutes=5))

    assert send_digests(session, mail_settings, "daily", NOW)["digests"] == 0
    session.refresh(late)
    assert late.email_status == "digest"


def test_a_refused_digest_is_kept_for_the_next_run(ctx, session, smtp_sink, mail_settings):
    user = make_user(session, "technician")
    item = _write(session, user, NOW - timedelta(hours=1))
    smtp_sink.refuse()

    counts = send_digests(session, mail_settings, "daily", NOW)
    session.refresh(item)
    assert counts["retried"] == 1
    assert (item.email_status, item.email_attempts) == ("digest", 1)

    smtp_sink.refuse(False)
    assert send_digests(session, mail_settings, "daily", NOW + timedelta(days=1))["items"] == 1
    assert session.get(Notification, item.id).email_status == "sent"
