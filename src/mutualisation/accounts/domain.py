"""What the accounts domain contributes (mutualisation/declarations.py).

Its own permissions are the base table of accounts/permissions.py, so it declares none here.
"""

from __future__ import annotations

from ..declarations import Domain
from . import api, views

DOMAIN = Domain(name="accounts", blueprints=(views.bp,), api_blueprints=(api.blp,), nav_items=views.NAV_ITEMS)
