"""What the agreements domain contributes (mutualisation/declarations.py)."""

from __future__ import annotations

from ..declarations import Domain
from . import api, demo, jobs, services, views

DOMAIN = Domain(
    name="agreements",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
    jobs=tuple(jobs.JOBS),
    policies={
        "agreements:read": services.can_read_agreement,
        "agreements:create": services.can_create_agreement,
    },
    demo_loader=demo.load,
)
