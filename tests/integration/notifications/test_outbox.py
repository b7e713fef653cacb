from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from mutualisation.db import transaction
from mutualisation.notifications.delivery import claim_due, deliver_outbox
from mutualisation.notifications.models import Notification
from mutualisation.notifications.services import notify, update_preferences
from tests.builders import make_notification, make_user
from tests.integration.notifications.conftest import NOW
from tests.smtp_sink import free_port, html_part, text_part


def _commit_one(session, user, **params):
    with transaction(session):
        notification = make_notification(session, user, **params)
    return notification


def test_a_committed_notification_is_emailed_once_in_french_with_an_absolute_link(
    ctx, session, smtp_sink, mail_settings
):
    user = make_user(session, "official")
    notification = _commit_one(session, user)

    first = deliver_outbox(session, mail_settings, NOW)
    second = deliver_outbox(session, mail_settings, NOW + timedelta(minutes=1))

    assert first["sent"] == 1 and second["sent"] == 0
    [message] = smtp_sink.messages
    assert message["To"] == user.email
    assert message["Subject"] == "Une convention vous est proposée"
    assert message["Message-ID"] == f"<notification-{notification.id}@mutualisation.example>"
    assert "https://mutualisation.example/agreements/1" in text_part(message)
    assert 'href="https://mutualisation.example/agreements/1"' in html_part(message)
    assert "https://mutualisation.example/notifications/unsubscribe/" in text_part(message)
    session.refresh(notification)
    assert notification.email_status == "sent" and notification.email_attempts == 1


def test_an_english_speaking_recipient_reads_english(ctx, session, smtp_sink, mail_settings):
    user = make_user(session, "technician", locale="en")
    _commit_one(session, user)

    deliver_outbox(session, mail_settings, NOW)

    [message] = smtp_sink.messages
    assert message["Subject"] == "An agreement is proposed to you"
    assert "See it on Mutualisation" in text_part(message)


def test_a_rolled_back_use_case_sends_nothing(ctx, session, smtp_sink, mail_settings):
    user = make_user(session, "official")
    with pytest.raises(RuntimeError), transaction(session):
        make_notification(session, user)
        raise RuntimeError("the use case fails after notifying")

    counts = deliver_outbox(session, mail_settings, NOW)

    assert counts["sent"] == 0
    assert smtp_sink.messages == []
    assert session.query(Notification).filter_by(recipient_id=user.id).count() == 0


def test_preference_none_sends_no_email_but_keeps_the_in_app_notification(
    ctx, session, smtp_sink, mail_settings
):
    user = make_user(session, "official")
    update_preferences(session, user, {"agreement.proposal_received": "none"})
    notification = _commit_one(session, user)

    deliver_outbox(session, mail_settings, NOW)

    assert smtp_sink.messages == []
    session.refresh(notification)
    assert notification.email_status == "skipped"
    assert notification.read_at is None  # still in the notification centre


def test_a_refused_message_stays_pending_with_backoff_then_fails_after_the_last_attempt(
    ctx, session, smtp_sink, mail_settings
):
    user = make_user(session, "official")
    notification = _commit_one(session, user)
    smtp_sink.refuse()

    deliver_outbox(session, mail_settings, NOW)
    session.refresh(notification)
    assert (notification.email_status, notification.email_attempts) == ("pending", 1)
    assert notification.next_attempt_at == NOW + timedelta(seconds=60)
    assert "554" in notification.last_error

    # Not retried before its time; then 2 min after the second failure; the third gives up.
    assert deliver_outbox(session, mail_settings, NOW + timedelta(seconds=30))["retried"] == 0
    deliver_outbox(session, mail_settings, NOW + timedelta(seconds=60))
    session.refresh(notification)
    assert notification.email_attempts == 2
    assert notification.next_attempt_at == NOW + timedelta(seconds=60 + 120)
    counts = deliver_outbox(session, mail_settings, NOW + timedelta(seconds=180))
    session.refresh(notification)
    assert counts["failed"] == 1
    assert (notification.email_status, notification.email_attempts) == ("failed", 3)
    assert smtp_sink.messages == []


def test_an_unreachable_server_leaves_the_message_pending(ctx, session, mail_settings):
    user = make_user(session, "official")
    notification = _commit_one(session, user)
    nowhere = dataclasses.replace(mail_settings, port=free_port())

    counts = deliver_outbox(session, nowhere, NOW)

    session.refresh(notification)
    assert counts["retried"] == 1
    assert (notification.email_status, notification.email_attempts) == ("pending", 1)


def test_a_worker_that_dies_after_claiming_loses_nothing(ctx, session, smtp_sink, mail_settings):
    user = make_user(session, "official")
    notification = _commit_one(session, user)
    # A worker claims the row, then dies before sending.
    assert claim_due(session, NOW, 10, mail_settings.lease_seconds) == [notification.id]

    assert deliver_outbox(session, mail_settings, NOW + timedelta(seconds=10))["sent"] == 0  # still leased
    later = NOW + timedelta(seconds=mail_settings.lease_seconds + 1)
    assert deliver_outbox(session, mail_settings, later)["sent"] == 1
    assert len(smtp_sink.messages) == 1


def test_without_an_smtp_host_emails_are_written_as_eml_files(ctx, session, mail_settings):
    user = make_user(session, "official")
    notification = _commit_one(session, user)
    local = dataclasses.replace(mail_settings, host="")

    deliver_outbox(session, local, NOW)

    [eml] = list(Path(local.outbox_dir).glob("*.eml"))
    assert eml.name == f"notification-{notification.id}.eml"
    assert "Subject:" in eml.read_text()


def test_notification_time_is_the_clock_of_the_use_case(ctx, session):
    user = make_user(session, "official")
    with time_machine.travel(NOW, tick=False), transaction(session):
        notification = notify(session, user, "listing.expired", "A listing has expired")
    assert notification.created_at == NOW
    assert notification.email_status == "digest" and notification.email_frequency == "daily"


def test_an_unknown_kind_is_emailed_immediately(ctx, session):
    user = make_user(session, "official")
    with transaction(session):
        notification = notify(session, user, "impact.something_new", "A listing has expired")
    assert (notification.email_status, notification.email_frequency) == ("pending", "immediate")


def test_the_mail_password_comes_from_the_environment_and_logs_in(ctx, session, tmp_path):
    from mutualisation.notifications.mail import MailSettings
    from mutualisation.settings import load_settings
    from tests.smtp_sink import SmtpSink

    sink = SmtpSink(credentials=("mutualisation", "s3cret from the environment")).start()
    try:
        config = load_settings(
            {"ENV": "testing", "INSTANCE_PATH": str(tmp_path)},
            environ={
                "MUTUALISATION_MAIL__HOST": "127.0.0.1",
                "MUTUALISATION_MAIL__PORT": str(sink.port),
                "MUTUALISATION_MAIL__USERNAME": "mutualisation",
                "MUTUALISATION_MAIL__PASSWORD": "s3cret from the environment",
            },
        )
        settings = MailSettings.from_config(config)
        user = make_user(session, "official")
        _commit_one(session, user)

        assert deliver_outbox(session, settings, NOW)["sent"] == 1
        assert len(sink.messages) == 1 and sink.handler.logins == 1
    finally:
        sink.stop()
