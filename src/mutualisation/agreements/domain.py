"""What the agreements domain contributes (mutualisation/declarations.py)."""

from __future__ import annotations

from ..declarations import Domain
from . import api, demo, jobs, permissions, step_notices, views

DOMAIN = Domain(
    name="agreements",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
    jobs=tuple(jobs.JOBS),
    policies=permissions.POLICIES,
    nav_items=views.NAV_ITEMS,
    dashboard_panels=views.PANELS,
    notification_kinds=step_notices.NOTIFICATION_KINDS,
    demo_loader=demo.load,
)
