"""How matching follows listing changes: a plain function to subscribe, and the flush listener.

Nothing here registers itself on import. The app declares the subscription (it calls
`follow_listing_change` for each listing change its services announce, and
`attach_flush_listener` on its own sessionmaker), in `matching/domain.py`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .config import MatchingConfig
from .diff import Counts
from .incremental import update_for_listing
from .snapshots import attach_flush_listener

__all__ = ["attach_flush_listener", "follow_listing_change"]


def _current_config() -> MatchingConfig:
    """The running app's `[matching]` settings, or the defaults outside an application context."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return MatchingConfig()
    return MatchingConfig.from_mapping(current_app.config.get("matching", {}))


def follow_listing_change(
    session: Session, listing_id: int, change: str | None = None, *, cfg: MatchingConfig | None = None
) -> Counts:
    """Bring the suggestions up to date after a listing change the listing services committed.

    Contract:
    - call it AFTER the transaction that changed the listing committed, with a session of the
      same database (the listing services announce `created`, `updated`, `published`, `reserved`,
      `released`, `fulfilled`, `expired`, `withdrawn`, `renewed`; `change` is informative: every
      change is handled the same way, by re-reading the listing);
    - it runs the incremental update (`incremental.update_for_listing`) in its own transaction:
      a published, located listing gets its suggestions and enters its counterparts' top-k; a
      listing in any other status loses its ranks, its active suggestions are deleted, accepted
      ones become `stale`;
    - settings: `cfg`, else the running app's `[matching]` section, else the defaults;
    - it raises on failure, after rolling its own transaction back; the caller decides whether
      to log it (the listings' hook registry does).
    """
    return update_for_listing(session, listing_id, cfg or _current_config())
