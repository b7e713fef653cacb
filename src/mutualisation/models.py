"""Import every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

import importlib
import importlib.util

from .db import Base

_DOMAINS = (
    "territories",
    "accounts",
    "audit",
    "listings",
    "matching",
    "agreements",
    "impact",
    "notifications",
    "welcome",
)

for _domain in _DOMAINS:
    _name = f"mutualisation.{_domain}.models"
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name)

metadata = Base.metadata
