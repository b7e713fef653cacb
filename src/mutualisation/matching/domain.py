"""What the matching domain contributes (mutualisation/declarations.py).

Matching follows listing changes through `listing_followers`, bound to the app's own sessions by
`create_app`; its flush listener is attached to the app's sessionmaker through `session_listeners`.
"""

from __future__ import annotations

from typing import Any

from ..accounts.permissions import is_admin
from ..declarations import Domain

# --- TEMPORARY ADAPTER (wiring branch) -----------------------------------------------------------
# The contract is `matching/follow.py`, written by the matching helper:
#     follow_listing_change(session, listing_id, change)   the incremental update after a change;
#     attach_flush_listener(session_factory)                 hooks the data-version bump on flush
#                                                            to the given sessionmaker only.
# Until it lands, the two are built here on the current engine. At merge, replace this block with
#     from .follow import attach_flush_listener, follow_listing_change
from . import api, demo, engine, jobs, services, views


def follow_listing_change(session: Any, listing_id: int, change: str) -> None:
    engine._on_listing_changed(session, listing_id, change)


def attach_flush_listener(session_factory: Any) -> None:
    del session_factory  # engine.py still listens on every Session; nothing to attach yet


# --- end of the temporary adapter ----------------------------------------------------------------


def can_administer_matching(user: Any, _obj: Any = None) -> bool:
    return is_admin(user)


DOMAIN = Domain(
    name="matching",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
    jobs=tuple(jobs.JOBS),
    policies={
        "matching:read_listing": services.can_read_listing,
        "suggestions:decide": services.can_decide_suggestion,
        "matching:admin": can_administer_matching,
    },
    listing_followers=(follow_listing_change,),
    session_listeners=(attach_flush_listener,),
    demo_loader=demo.load,
)
