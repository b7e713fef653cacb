"""What the welcome domain contributes (mutualisation/declarations.py): invitations, password
reset, join requests, territory and people pages, the visitors' pages."""

from __future__ import annotations

from ..declarations import Domain
from . import api, views

DOMAIN = Domain(
    name="welcome",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
)
