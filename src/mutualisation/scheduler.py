"""The scheduler: gathers every domain's jobs and runs them in one leader process.

Declaring a job — in `mutualisation/<domain>/jobs.py`, listed in the domain's `domain.py`:

    from ..declarations import ScheduledJob, cron

    def recompute(app, now):          # now: aware datetime, Europe/Paris
        ...                           # open a session, call one use case
        return {"updated": 12}        # counts, stored in job_runs

    JOBS = [ScheduledJob("matching.full_recompute", recompute, cron(hour=3))]
    DOMAIN = Domain(name="matching", jobs=tuple(JOBS), ...)      # in matching/domain.py

The scheduler runs the jobs of the domains the app was created with (mutualisation/domains.py).
A trigger is a pair (APScheduler trigger name, arguments) or a function of the app config returning
one, so delays can come from `config/*.toml`. Every run is recorded in `job_runs`
(scheduling/models.py); a job that raises is logged and recorded as failed, runs again at its next
time, and never stops the others.

Only one process runs jobs: PostgreSQL grants a session-level advisory lock on a dedicated
connection (released by the server as soon as that process dies); SQLite uses an exclusive file
lock on `instance/scheduler.lock`. Other processes wait as standbys and try again every
`[scheduler] leader_check_seconds`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import traceback
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from .db import transaction, utcnow
from .declarations import PARIS, Domain, ScheduledJob, Trigger, cron, every, now_paris
from .domains import DOMAINS, all_jobs
from .scheduling.models import JobRun
from .settings import settings_of

log = logging.getLogger(__name__)

RUNNER = f"{socket.gethostname()}:{os.getpid()}"
# pg_try_advisory_lock takes a 64-bit key; this one spells "MUTUSCHD" and is ours alone.
ADVISORY_LOCK_KEY = 0x4D55545553434844


def collect_jobs(domains: Sequence[Domain] = DOMAINS) -> list[ScheduledJob]:
    """Every job the given domains declare, in their order; names must be unique."""
    return all_jobs(domains)


def app_jobs(app: Flask) -> list[ScheduledJob]:
    """The jobs of the domains this app was created with."""
    return collect_jobs(app.extensions["mutualisation.domains"])


# Running and recording --------------------------------------------------------------------------


def run_job(app: Flask, job: ScheduledJob, now: datetime | None = None) -> int:
    """Run one job, record it in job_runs and return the record's id. Never raises."""
    now = now or now_paris()
    sessions = app.extensions["mutualisation.sessions"]
    with sessions() as session:
        with transaction(session):
            run = JobRun(job=job.name, runner=RUNNER, started_at=now, outcome="running", counts={})
            session.add(run)
        run_id = run.id
    counts: Mapping[str, int] = {}
    error = None
    try:
        with app.app_context():
            counts = job.func(app, now) or {}
        outcome = "ok"
    except Exception:  # one failing job must never stop the scheduler
        log.exception("scheduled job %s failed", job.name)
        outcome, error = "failed", traceback.format_exc()[-4000:]
    with sessions() as session, transaction(session):
        run = session.get(JobRun, run_id)
        run.finished_at = max(utcnow(), now)
        run.outcome = outcome
        run.counts = dict(counts)
        run.error = error
    if outcome == "ok":
        log.info("scheduled job %s: %s", job.name, dict(counts))
    return run_id


# Leader election --------------------------------------------------------------------------------


class LeaderLock:
    def try_acquire(self) -> bool:
        raise NotImplementedError

    def is_held(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


class PostgresAdvisoryLock(LeaderLock):
    """A session-level advisory lock on a connection kept open for as long as we lead."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self.connection is None:
                self.connection = self.engine.connect()
            got = bool(
                self.connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}
                ).scalar()
            )
            self.connection.commit()  # the lock is session-level: it outlives this transaction
        except Exception:
            log.warning("cannot reach PostgreSQL for the scheduler lock", exc_info=True)
            self._drop()
            return False
        return got

    def is_held(self) -> bool:
        if self.connection is None:
            return False
        try:
            # The lock lives as long as this session: a live connection means we still hold it.
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
            return True
        except Exception:
            log.warning("lost the scheduler lock connection", exc_info=True)
            self._drop()
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                self.connection.commit()
            except Exception:
                log.debug("could not unlock cleanly", exc_info=True)
        self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()
                self.connection.close()
            except Exception:
                log.debug("closing the lock connection failed", exc_info=True)
        self.connection = None


class FileLock(LeaderLock):
    """An exclusive flock: released by the kernel when the holding process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: TextIO | None = None

    def try_acquire(self) -> bool:
        if self.handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(RUNNER)
        handle.flush()
        self.handle = handle
        return True

    def is_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def leader_lock(app: Flask) -> LeaderLock:
    engine = app.extensions["mutualisation.engine"]
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    return FileLock(Path(app.config["INSTANCE_PATH"]) / "scheduler.lock")


# The scheduler itself ------------------------------------------------------------------------------


def build_scheduler(
    app: Flask, scheduler: BaseScheduler, jobs: list[ScheduledJob] | None = None
) -> BaseScheduler:
    for job in app_jobs(app) if jobs is None else jobs:
        kind, args = job.trigger_for(app.config)
        extra: dict[str, Any] = {}
        if kind == "interval":
            extra["next_run_time"] = now_paris()  # frequent jobs start at once on a new leader
        scheduler.add_job(
            run_job,
            kind,
            args=(app, job),
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
            replace_existing=True,
            **dict(args),
            **extra,
        )
    return scheduler


def leader_check_seconds(app: Flask) -> float:
    return settings_of(app).scheduler.leader_check_seconds


def run_scheduler(app: Flask, *, background: bool = False, stop: threading.Event | None = None) -> None:
    """Wait to become the leader, run the jobs while leading, go back to standby if the lock is lost."""
    stop = stop or threading.Event()
    lock = leader_lock(app)
    interval = leader_check_seconds(app)
    announced = False
    while not stop.is_set():
        if not lock.try_acquire():
            if not announced:
                log.info("scheduler %s on standby: another process is the leader", RUNNER)
                announced = True
            stop.wait(interval)
            continue
        announced = False
        log.info("scheduler %s is the leader", RUNNER)
        try:
            _lead(app, lock, interval, background, stop)
        finally:
            lock.release()


def _lead(app: Flask, lock: LeaderLock, interval: float, background: bool, stop: threading.Event) -> None:
    lost = threading.Event()
    scheduler: BaseScheduler = (
        BackgroundScheduler(timezone=PARIS) if background else BlockingScheduler(timezone=PARIS)
    )
    build_scheduler(app, scheduler)

    def heartbeat() -> None:
        if stop.is_set() or not lock.is_held():
            log.warning("scheduler %s stops leading", RUNNER)
            lost.set()
            if not background:
                # BlockingScheduler: this ends start() in the main thread; a job still running
                # finishes on its own thread.
                scheduler.shutdown(wait=False)

    scheduler.add_job(
        heartbeat, "interval", seconds=interval, id="scheduler.leader_heartbeat", name="leader heartbeat"
    )
    scheduler.start()
    if background:
        lost.wait()
        scheduler.shutdown(wait=True)  # let a running job finish before the lock is released


def start_in_process(app: Flask, stop: threading.Event | None = None) -> threading.Thread:
    """For `make run`: a daemon thread per web worker; only the worker holding the lock runs jobs."""
    thread = threading.Thread(
        target=run_scheduler,
        args=(app,),
        kwargs={"background": True, "stop": stop},
        name="scheduler",
        daemon=True,
    )
    thread.start()
    return thread


# The declaration names are re-exported: jobs and tests long imported them from here.
__all__ = [
    "ADVISORY_LOCK_KEY",
    "PARIS",
    "RUNNER",
    "FileLock",
    "LeaderLock",
    "PostgresAdvisoryLock",
    "ScheduledJob",
    "Trigger",
    "app_jobs",
    "build_scheduler",
    "collect_jobs",
    "cron",
    "every",
    "leader_check_seconds",
    "leader_lock",
    "now_paris",
    "run_job",
    "run_scheduler",
    "start_in_process",
]
