"""What the welcome domain contributes (mutualisation/declarations.py): invitations, password
reset, join requests, territory and people pages, the visitors' pages."""

from __future__ import annotations

from ..declarations import Domain
from . import api, join, views

DOMAIN = Domain(
    name="welcome",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
    nav_items=views.NAV_ITEMS,
    dashboard_panels=views.PANELS,
    notification_kinds=(join.JOIN_NOTICE,),
)
