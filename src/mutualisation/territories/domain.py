"""What the territories domain contributes (mutualisation/declarations.py)."""

from __future__ import annotations

from ..declarations import Domain
from . import api

DOMAIN = Domain(name="territories", api_blueprints=(api.blp,))
