"""Scheduled jobs of the listings domain: expiry warnings and expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from ..scheduler import ScheduledJob, Trigger, section
from .expiry import expire_listings, renewal_token, warn_expiring


def expiry(app: Flask, now: datetime) -> dict[str, int]:
    conf = section(app.config, "expiry")
    base = str(app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    secret = app.config["SECRET_KEY"]

    def renewal_url(listing) -> str:
        return f"{base}/notifications/renew-listing/{renewal_token(secret, listing)}"

    with app.extensions["mutualisation.sessions"]() as session:
        expired = expire_listings(session, now)
        warned = warn_expiring(session, now, int(conf.get("warning_days", 7)), renewal_url)
    return {"expired": expired, "warned": warned}


def _trigger(config: Any) -> Trigger:
    return ("cron", {"hour": int(section(config, "scheduler").get("listing_expiry_hour", 6)), "minute": 0})


JOBS = [ScheduledJob("listings.expiry", expiry, _trigger)]
