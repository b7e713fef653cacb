"""What the conversations domain contributes (mutualisation/declarations.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..declarations import Domain
from ..notifications import kinds
from . import api, services, views

DOMAIN = Domain(
    name="conversations",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
    nav_items=views.NAV_ITEMS,
    notification_kinds=(kinds.Kind(services.MESSAGE_KIND, _l("A new message"), kinds.IMMEDIATE, True),),
)
