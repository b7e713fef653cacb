"""The scheduling domain's own job: job records are kept for a while, not forever."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from ..declarations import ScheduledJob, cron
from ..settings import settings_of
from .services import prune_runs


def prune_job_runs(app: Flask, now: datetime) -> dict[str, int]:
    """The outbox runs every minute: its records would otherwise grow without end."""
    keep_days = settings_of(app).scheduler.job_runs_keep_days
    with app.extensions["mutualisation.sessions"]() as session:
        return {"deleted": prune_runs(session, now, keep_days)}


# The name predates the move out of notifications; it is kept so that run records stay comparable.
JOBS = [ScheduledJob("notifications.prune_job_runs", prune_job_runs, cron(hour=4, minute=30))]
