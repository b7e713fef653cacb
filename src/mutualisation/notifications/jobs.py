"""Scheduled jobs of the notifications domain: the outbox, and the daily and weekly digests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask

from ..declarations import ScheduledJob, Trigger
from . import kinds
from .delivery import deliver_outbox, send_digests
from .mail import MailSettings


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


# Triggers read the checked `[scheduler]` section (config/default.toml holds every default).


def _outbox_trigger(config: Mapping[str, Any]) -> Trigger:
    return ("interval", {"seconds": float(config["scheduler"]["outbox_interval_seconds"])})


def _daily_trigger(config: Mapping[str, Any]) -> Trigger:
    return ("cron", {"hour": int(config["scheduler"]["daily_digest_hour"]), "minute": 0})


def _weekly_trigger(config: Mapping[str, Any]) -> Trigger:
    conf = config["scheduler"]
    return (
        "cron",
        {"day_of_week": conf["weekly_digest_day"], "hour": int(conf["weekly_digest_hour"]), "minute": 5},
    )


JOBS = [
    ScheduledJob("notifications.deliver_outbox", deliver, _outbox_trigger),
    ScheduledJob("notifications.daily_digest", daily_digest, _daily_trigger),
    ScheduledJob("notifications.weekly_digest", weekly_digest, _weekly_trigger),
]
