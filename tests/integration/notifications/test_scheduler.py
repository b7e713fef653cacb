from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from mutualisation.db import make_engine
from mutualisation.scheduler import (
    PARIS,
    FileLock,
    PostgresAdvisoryLock,
    ScheduledJob,
    build_scheduler,
    collect_jobs,
    every,
    run_job,
)
from mutualisation.scheduling.models import JobRun
from tests.conftest import PG_URL
from tests.integration.notifications.conftest import NOW


def test_every_domain_job_is_collected_under_a_unique_name():
    names = [job.name for job in collect_jobs()]
    assert {
        "notifications.deliver_outbox",
        "notifications.daily_digest",
        "notifications.weekly_digest",
        "listings.expiry",
    } <= set(names)
    assert len(names) == len(set(names))


def test_jobs_are_scheduled_in_paris_time_with_triggers_from_the_config(app):
    scheduler = build_scheduler(app, BackgroundScheduler(timezone=PARIS))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    daily = jobs["notifications.daily_digest"].trigger
    assert str(daily.timezone) == "Europe/Paris"
    assert "hour='7'" in str(daily)
    assert jobs["notifications.deliver_outbox"].trigger.interval.total_seconds() == 60


def test_a_job_run_is_recorded_with_its_counts(app, session):
    job = ScheduledJob("test.counts", lambda _app, now: {"seen": now.day}, every(minutes=1))

    run = session.get(JobRun, run_job(app, job, NOW))

    assert (run.outcome, run.counts, run.error) == ("ok", {"seen": 26}, None)
    assert run.started_at == NOW
    assert run.finished_at >= run.started_at


def test_a_failing_job_is_recorded_and_does_not_stop_the_next_one(app, session):
    def broken(_app, _now):
        raise ValueError("the matching engine is out of coffee")

    failed = session.get(JobRun, run_job(app, ScheduledJob("test.broken", broken, every(minutes=1)), NOW))
    fine = session.get(
        JobRun, run_job(app, ScheduledJob("test.fine", lambda a, n: {}, every(minutes=1)), NOW)
    )

    assert failed.outcome == "failed" and "out of coffee" in failed.error
    assert fine.outcome == "ok"
    assert session.scalars(select(JobRun.job).order_by(JobRun.id)).all()[-2:] == ["test.broken", "test.fine"]


def test_the_file_lock_admits_one_leader_on_one_machine(tmp_path):
    first, second = FileLock(tmp_path / "scheduler.lock"), FileLock(tmp_path / "scheduler.lock")
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_the_postgresql_advisory_lock_admits_one_leader(engine):
    if engine.dialect.name != "postgresql":
        return
    pg = make_engine(PG_URL)
    first, second = PostgresAdvisoryLock(pg), PostgresAdvisoryLock(pg)
    try:
        assert first.try_acquire()
        assert first.is_held()
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()
        pg.dispose()


def test_old_job_records_are_pruned(app, session):
    from datetime import timedelta

    from mutualisation.scheduling.jobs import prune_job_runs

    session.add(JobRun(job="old", started_at=NOW - timedelta(days=31), outcome="ok", counts={}))
    session.add(JobRun(job="recent", started_at=NOW - timedelta(days=29), outcome="ok", counts={}))
    session.flush()

    assert prune_job_runs(app, NOW) == {"deleted": 1}
    assert set(session.scalars(select(JobRun.job))) >= {"recent"}
    assert "old" not in set(session.scalars(select(JobRun.job)))
