"""Scheduled jobs of the notifications domain: the outbox, and the daily and weekly digests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete

from ..db import transaction
from ..scheduler import ScheduledJob, Trigger, section
from . import kinds
from .delivery import deliver_outbox, send_digests
from .mail import MailSettings
from .models import JobRun


def _session(app: Flask):
    return app.extensions["mutualisation.sessions"]()


def deliver(app: Flask, now: datetime) -> dict[str, int]:
    with _session(app) as session:
        return deliver_outbox(session, MailSettings.from_config(app.config), now)


def daily_digest(app: Flask, now: datetime) -> dict[str, int]:
    with _session(app) as session:
        return send_digests(session, MailSettings.from_config(app.config), kinds.DAILY, now)


def weekly_digest(app: Flask, now: datetime) -> dict[str, int]:
    with _session(app) as session:
        return send_digests(session, MailSettings.from_config(app.config), kinds.WEEKLY, now)


def prune_job_runs(app: Flask, now: datetime) -> dict[str, int]:
    """The outbox runs every minute: keep job records for a while, not forever."""
    days = int(section(app.config, "scheduler").get("job_runs_keep_days", 30))
    with _session(app) as session, transaction(session):
        result = session.execute(delete(JobRun).where(JobRun.started_at < now - timedelta(days=days)))
    return {"deleted": int(result.rowcount or 0)}


def _outbox_trigger(config: Any) -> Trigger:
    return ("interval", {"seconds": float(section(config, "scheduler").get("outbox_interval_seconds", 60))})


def _daily_trigger(config: Any) -> Trigger:
    conf = section(config, "scheduler")
    return ("cron", {"hour": int(conf.get("daily_digest_hour", 7)), "minute": 0})


def _weekly_trigger(config: Any) -> Trigger:
    conf = section(config, "scheduler")
    return (
        "cron",
        {
            "day_of_week": conf.get("weekly_digest_day", "mon"),
            "hour": int(conf.get("weekly_digest_hour", 7)),
            "minute": 5,
        },
    )


JOBS = [
    ScheduledJob("notifications.deliver_outbox", deliver, _outbox_trigger),
    ScheduledJob("notifications.daily_digest", daily_digest, _daily_trigger),
    ScheduledJob("notifications.weekly_digest", weekly_digest, _weekly_trigger),
    ScheduledJob("notifications.prune_job_runs", prune_job_runs, ("cron", {"hour": 4, "minute": 30})),
]
