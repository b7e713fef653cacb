"""What the matching domain contributes (mutualisation/declarations.py).

Matching follows listing changes through `listing_followers`, bound to the app's own sessions by
`create_app`; its flush listener is attached to the app's sessionmaker through `session_listeners`.
"""

from __future__ import annotations

from typing import Any

from ..accounts.permissions import is_admin
from ..declarations import Domain
from . import api, demo, jobs, services, views
from .follow import attach_flush_listener, follow_listing_change


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
    nav_items=views.NAV_ITEMS,
    dashboard_panels=views.PANELS,
    demo_loader=demo.load,
)
