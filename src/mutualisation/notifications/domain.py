"""What the notifications domain contributes (mutualisation/declarations.py)."""

from __future__ import annotations

from ..declarations import Domain
from . import api, demo, jobs, views

DOMAIN = Domain(
    name="notifications",
    blueprints=(views.bp,),
    api_blueprints=(api.blp,),
    jobs=tuple(jobs.JOBS),
    demo_loader=demo.load,
)
