"""What the audit domain contributes (mutualisation/declarations.py): only its table, for now."""

from __future__ import annotations

from ..declarations import Domain

DOMAIN = Domain(name="audit")
