"""Scheduled jobs of the matching domain: the nightly full recompute keeps suggestions consistent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from . import engine
from .scoring import MatchingConfig


def full_recompute(session: Session, now: datetime, settings: Mapping[str, Any] | None = None) -> dict:
    """Recompute every suggestion; `settings` is the `[matching]` section (defaults when absent)."""
    if settings is None:
        settings = _app_settings()
    counts = engine.full_recompute(session, MatchingConfig.from_mapping(dict(settings)))
    return counts.as_dict() | {"at": now.isoformat()}


def _app_settings() -> Mapping[str, Any]:
    try:
        from flask import current_app

        return current_app.config.get("matching", {})
    except RuntimeError:  # no application context: the defaults
        return {}


JOBS = [
    {"name": "matching.full_recompute", "func": full_recompute, "trigger": {"type": "cron", "hour": 2}},
]
