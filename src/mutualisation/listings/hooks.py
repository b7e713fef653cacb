"""How other domains follow listing changes: the followers are declared, and scoped to sessions.

Services call `listing_changed` after their commit with (session, listing_id, change). The
followers are not a global registry: each domain declares its own (`listing_followers` in its
`domain.py`), and `create_app` binds them to the app's sessionmaker with `bind_followers`, so only
the app's own sessions (and the test fixtures that bind them too) tell anyone about a change.
Changes: created, updated, published, reserved, released, fulfilled, expired, withdrawn, renewed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

Follower = Callable[[Session, int, str], object]
FOLLOWERS_KEY = "mutualisation.listing_followers"
_PENDING_KEY = "mutualisation.listing_changes"


def bind_followers(factory: sessionmaker[Session], followers: Iterable[Follower]) -> sessionmaker[Session]:
    """Every session `factory` makes from now on tells these followers about listing changes."""
    info = dict(factory.kw.get("info") or {})
    info[FOLLOWERS_KEY] = tuple(followers)
    factory.configure(info=info)
    return factory


def followers_of(session: Session) -> tuple[Follower, ...]:
    return tuple(session.info.get(FOLLOWERS_KEY, ()))


def follow(session: Session, follower: Follower) -> None:
    """Add a follower to this one session only (a test, a script)."""
    session.info[FOLLOWERS_KEY] = (*followers_of(session), follower)


def listing_changed(session: Session, listing_id: int, change: str) -> None:
    # The listing change is already committed: a failing follower must not undo it or
    # hide it from the user, so its error is logged and the others still run.
    for follower in followers_of(session):
        try:
            follower(session, listing_id, change)
        except Exception:
            log.exception("listing follower %r failed for listing %s (%s)", follower, listing_id, change)
            if session.in_transaction():
                session.rollback()


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
