"""A tiny registry through which other domains follow listing changes.

Services call `listing_changed` after their commit with (session, listing_id, change);
the matching engine registers an incremental update with `on_listing_changed`.
Changes: created, updated, published, reserved, released, fulfilled, expired, withdrawn, renewed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Callback = Callable[[Session, int, str], None]
_CALLBACKS: list[Callback] = []


def on_listing_changed(callback: Callback) -> Callback:
    """Register `callback(session, listing_id, change)`; usable as a decorator. Idempotent."""
    if callback not in _CALLBACKS:
        _CALLBACKS.append(callback)
    return callback


def remove(callback: Callback) -> None:
    if callback in _CALLBACKS:
        _CALLBACKS.remove(callback)


def listing_changed(session: Session, listing_id: int, change: str) -> None:
    # The listing change is already committed: a failing follower must not undo it or
    # hide it from the user, so its error is logged and the others still run.
    for callback in list(_CALLBACKS):
        try:
            callback(session, listing_id, change)
        except Exception:
            log.exception("listing hook %r failed for listing %s (%s)", callback, listing_id, change)
            if session.in_transaction():
                session.rollback()


_PENDING_KEY = "mutualisation.listing_changes"


def queue(session: Session, listing_id: int, change: str) -> None:
    """Remember a change made inside a transaction; `run_pending` announces it after the commit."""
    session.info.setdefault(_PENDING_KEY, []).append((listing_id, change))


def run_pending(session: Session) -> None:
    """Announce the queued changes. Call it after the transaction that made them committed."""
    pending = session.info.pop(_PENDING_KEY, [])
    for listing_id, change in pending:
        listing_changed(session, listing_id, change)


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
