"""What the impact domain contributes (mutualisation/declarations.py): experience sheets, impact
dashboards and open data, their pages and API, their permissions and their demo."""

from __future__ import annotations

from ..declarations import Domain
from . import api, demo, sheets, views

DOMAIN = Domain(
    name="impact",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
    policies=sheets.POLICIES,
    nav_items=views.NAV_ITEMS,
    demo_loader=demo.load,
)
