"""Scheduled jobs with a frozen clock: they act once, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from mutualisation.agreements import jobs
from mutualisation.notifications.models import Notification
from tests.builders import make_agreement, make_user

NOW = dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC)


def count(session, kind):
    return session.scalar(select(func.count(Notification.id)).where(Notification.kind == kind))


def test_unanswered_proposals_expire_once(session):
    agreement = make_agreement(
        session,
        make_user(session, "technician", "76402"),
        make_user(session, "technician", "62528"),
        "proposed",
    )
    agreement.status_changed_at = NOW - dt.timedelta(days=31)
    session.flush()
    assert jobs.expire_proposals(session, NOW - dt.timedelta(days=2), proposal_expiry_days=30) == {
        "expired": 0
    }
    assert jobs.expire_proposals(session, NOW, proposal_expiry_days=30) == {"expired": 1}
    assert agreement.status == "expired"
    assert jobs.expire_proposals(session, NOW, proposal_expiry_days=30) == {"expired": 0}


def test_approvers_are_reminded_once(session):
    make_user(session, "official", "62528")
    agreement = make_agreement(
        session,
        make_user(session, "technician", "76402"),
        make_user(session, "technician", "62528"),
        "pending_approval",
    )
    agreement.status_changed_at = NOW - dt.timedelta(days=8)
    session.flush()
    first = jobs.remind_approvers(session, NOW, approval_reminder_days=7)
    assert first["approval_reminders"] == 2 and count(session, "agreement.reminder") >= 1
    before = count(session, "agreement.reminder")
    assert jobs.remind_approvers(session, NOW, approval_reminder_days=7) == {"approval_reminders": 0}
    assert count(session, "agreement.reminder") == before


def test_borrowers_are_reminded_before_the_end_then_told_when_overdue(session):
    borrower = make_user(session, "technician", "76402")
    agreement = make_agreement(session, borrower, make_user(session, "technician", "62528"), "in_progress")
    # Terms end on 2030-06-10.
    assert jobs.remind_borrowers(session, NOW, end_reminder_days=3) == {
        "end_reminders": 0,
        "overdue_notices": 0,
    }
    near = dt.datetime(2030, 6, 8, tzinfo=dt.UTC)
    assert jobs.remind_borrowers(session, near, end_reminder_days=3) == {
        "end_reminders": 1,
        "overdue_notices": 0,
    }
    assert jobs.remind_borrowers(session, near, end_reminder_days=3) == {
        "end_reminders": 0,
        "overdue_notices": 0,
    }
    late = dt.datetime(2030, 6, 12, tzinfo=dt.UTC)
    assert jobs.remind_borrowers(session, late, end_reminder_days=3) == {
        "end_reminders": 0,
        "overdue_notices": 1,
    }
    assert jobs.remind_borrowers(session, late, end_reminder_days=3) == {
        "end_reminders": 0,
        "overdue_notices": 0,
    }
    assert agreement.overdue_notified_at == late


def test_returned_loans_complete_automatically_and_ask_for_evaluations_once(session):
    agreement = make_agreement(
        session,
        make_user(session, "technician", "76402"),
        make_user(session, "technician", "62528"),
        "returned",
    )
    agreement.status_changed_at = NOW - dt.timedelta(days=15)
    session.flush()
    assert jobs.auto_complete(session, NOW, auto_complete_days=14) == {"completed": 1}
    assert agreement.status == "completed"
    assert agreement.evaluation_requested_at == NOW
    asked = count(session, "agreement.evaluation_due")
    assert asked >= 2  # the staff of both territory parties
    assert jobs.auto_complete(session, NOW, auto_complete_days=14) == {"completed": 0}
    assert jobs.request_evaluations(session, NOW) == {"evaluations_requested": 0}
    assert count(session, "agreement.evaluation_due") == asked
    assert {j.name for j in jobs.JOBS} >= {"agreements.expire_proposals", "agreements.auto_complete"}


def test_the_scheduler_collects_the_agreement_jobs_and_runs_them_with_the_configured_delays(app):
    from mutualisation.scheduler import collect_jobs, run_job

    by_name = {job.name: job for job in collect_jobs()}
    assert {"agreements.expire_proposals", "agreements.remind_borrowers", "listings.expiry"} <= set(by_name)
    run_id = run_job(app, by_name["agreements.expire_proposals"])
    from mutualisation.scheduling.models import JobRun

    with app.extensions["mutualisation.sessions"]() as session:
        run = session.get(JobRun, run_id)
        assert run.outcome == "ok", run.error
