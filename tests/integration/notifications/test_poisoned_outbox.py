"""One bad message must never block the others: failures are isolated, counted, retried, then failed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from mutualisation.db import transaction
from mutualisation.notifications import delivery
from mutualisation.notifications.delivery import claim_due, deliver_outbox
from mutualisation.notifications.jobs import JOBS
from mutualisation.notifications.models import Notification
from mutualisation.scheduler import run_job
from mutualisation.scheduling.models import JobRun
from tests.builders import make_notification, make_user
from tests.integration.notifications.conftest import NOW

OUTBOX_JOB = next(job for job in JOBS if job.name == "notifications.deliver_outbox")


def _mail_config(app, smtp_sink) -> None:
    app.config["mail"] = dict(
        app.config["mail"], host="127.0.0.1", port=smtp_sink.port, max_attempts=3, backoff_base_seconds=60
    )


def test_one_refused_message_among_fifty_good_ones_fails_alone_and_the_job_record_says_so(
    app, ctx, session, smtp_sink
):
    _mail_config(app, smtp_sink)
    with transaction(session):
        good = [make_user(session, "official") for _ in range(5)]
        bad_user = make_user(session, "official")
        # The refused message comes first: claims in id order must not let it hold the rest back.
        bad = make_notification(session, bad_user)
        for i in range(50):
            make_notification(session, good[i % 5])
    smtp_sink.refuse_recipient(bad_user.email)

    runs = []
    for minutes in (0, 1, 3):  # attempts 1, 2 and 3 (backoff 1 min, then 2 min)
        runs.append(session.get(JobRun, run_job(app, OUTBOX_JOB, NOW + timedelta(minutes=minutes))))

    assert len(smtp_sink.messages) == 50
    assert all(message["To"] != bad_user.email for message in smtp_sink.messages)
    session.refresh(bad)
    assert (bad.email_status, bad.email_attempts) == ("failed", 3)
    assert "550" in bad.last_error
    statuses = session.scalars(select(Notification.email_status).where(Notification.id != bad.id))
    assert set(statuses) == {"sent"}
    assert [run.outcome for run in runs] == ["ok", "ok", "ok"]
    assert runs[0].counts == {"sent": 50, "retried": 1, "failed": 0, "skipped": 0}
    assert runs[2].counts == {"sent": 0, "retried": 0, "failed": 1, "skipped": 0}


def test_a_line_break_in_a_listing_title_is_cleaned_out_of_the_subject_and_the_email_goes(
    ctx, session, smtp_sink, mail_settings
):
    user = make_user(session, "official")
    with transaction(session):
        make_notification(session, user, subject="Nouvelle annonce : Broyeur\r\nBcc: victim@example.org\n")

    counts = deliver_outbox(session, mail_settings, NOW)

    assert counts["sent"] == 1
    [message] = smtp_sink.messages
    assert message["Subject"] == "Nouvelle annonce : Broyeur Bcc: victim@example.org"
    assert message["Bcc"] is None


def test_a_message_the_mail_layer_cannot_even_build_is_isolated_and_the_next_one_is_sent(
    ctx, session, smtp_sink, mail_settings, monkeypatch
):
    user = make_user(session, "official")
    with transaction(session):
        broken, fine = make_notification(session, user), make_notification(session, user)
    real = delivery._message_for

    def build(settings, notification, recipient):
        if notification.id == broken.id:
            raise ValueError("a template the mail layer cannot render")
        return real(settings, notification, recipient)

    monkeypatch.setattr(delivery, "_message_for", build)
    counts = deliver_outbox(session, mail_settings, NOW)

    assert (counts["sent"], counts["retried"]) == (1, 1)
    session.refresh(broken)
    session.refresh(fine)
    assert (broken.email_status, fine.email_status) == ("pending", "sent")
    assert broken.last_error.startswith("ValueError: a template")
    assert broken.next_attempt_at == NOW + timedelta(seconds=mail_settings.backoff_base_seconds)


def test_a_claim_stuck_in_sending_on_its_last_attempt_is_marked_failed_after_the_lease(
    ctx, session, smtp_sink, mail_settings
):
    user = make_user(session, "official")
    with transaction(session):
        stuck, later = make_notification(session, user), make_notification(session, user)
    settings = dataclasses.replace(mail_settings, max_attempts=2, batch_size=1)
    lease = timedelta(seconds=settings.lease_seconds + 1)
    # Two workers claim the message and die (a message that kills its worker): two attempts spent.
    assert claim_due(session, NOW, 1, settings.lease_seconds, settings.max_attempts) == [stuck.id]
    assert claim_due(session, NOW + lease, 1, settings.lease_seconds, settings.max_attempts) == [stuck.id]

    counts = deliver_outbox(session, settings, NOW + 2 * lease)

    session.refresh(stuck)
    session.refresh(later)
    assert (stuck.email_status, stuck.email_attempts) == ("failed", 2)
    assert "interrupted" in stuck.last_error
    assert (later.email_status, counts["sent"]) == ("sent", 1)
