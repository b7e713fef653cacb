"""What the listings domain contributes (mutualisation/declarations.py)."""

from __future__ import annotations

from ..declarations import Domain
from . import alert_api, alert_views, alerts, api, calendar_views, demo, jobs, services, views

DOMAIN = Domain(
    name="listings",
    blueprints=(views.bp, views.renewal_bp, calendar_views.bp, alert_views.bp),
    api_blueprints=(api.blp, calendar_views.blp, alert_api.blp),
    jobs=tuple(jobs.JOBS),
    policies={"listings:read": services.can_read_listing},
    nav_items=views.NAV_ITEMS,
    dashboard_panels=views.PANELS,
    listing_followers=(alerts.announce_new_listing,),
    notification_kinds=(alerts.ALERT_NOTICE,),
    demo_loader=demo.load,
)
