"""Scheduled jobs of the listings domain: expiry warnings and expiry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask

from ..declarations import ScheduledJob, Trigger
from ..settings import settings_of
from .expiry import expire_listings, renewal_token, warn_expiring


def expiry(app: Flask, now: datetime) -> dict[str, int]:
    settings = settings_of(app)
    base = settings.core.PUBLIC_BASE_URL.rstrip("/")
    secret = settings.secret_key

    def renewal_url(listing: Any) -> str:
        return f"{base}/notifications/renew-listing/{renewal_token(secret, listing)}"

    with app.extensions["mutualisation.sessions"]() as session:
        expired = expire_listings(session, now)
        warned = warn_expiring(session, now, settings.expiry.warning_days, renewal_url)
    return {"expired": expired, "warned": warned}


def _trigger(config: Mapping[str, Any]) -> Trigger:
    return ("cron", {"hour": int(config["scheduler"]["listing_expiry_hour"]), "minute": 0})


JOBS = [ScheduledJob("listings.expiry", expiry, _trigger)]
