"""Demo: compute the suggestions of the demo listings (run after the listings' demo)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import engine
from .scoring import MatchingConfig


def load(session: Session) -> str:
    """Full recompute: idempotent, a second run changes nothing."""
    settings = {}
    try:
        from flask import current_app

        settings = dict(current_app.config.get("matching", {}))
    except RuntimeError:
        pass
    counts = engine.full_recompute(session, MatchingConfig.from_mapping(settings), notify=False)
    return f"suggestions: {counts.inserted} new, {counts.updated} updated, {counts.deleted} removed"
