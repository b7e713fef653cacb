"""Scheduled jobs of the matching domain: the nightly full recompute keeps suggestions consistent."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from ..declarations import ScheduledJob, cron
from ..settings import settings_of
from . import engine
from .scoring import MatchingConfig


def full_recompute(session: Session, now: datetime, settings: Mapping[str, Any] | None = None) -> dict:
    """Recompute every suggestion; `settings` is the `[matching]` section (defaults when absent)."""
    counts = engine.full_recompute(session, MatchingConfig.from_mapping(dict(settings or {})))
    return counts.as_dict()


def nightly_recompute(app: Flask, now: datetime) -> dict:
    with app.extensions["mutualisation.sessions"]() as session:
        return full_recompute(session, now, dataclasses.asdict(settings_of(app).matching))


JOBS = [ScheduledJob("matching.full_recompute", nightly_recompute, cron(hour=2))]
