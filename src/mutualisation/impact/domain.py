"""What the impact domain contributes (mutualisation/declarations.py).

Its pages are served by the agreements and core views, and its exports by the CLI, so it declares
no door of its own yet; it is listed so that a newcomer finds every domain in mutualisation/domains.py.
"""

from __future__ import annotations

from ..declarations import Domain

DOMAIN = Domain(name="impact")
