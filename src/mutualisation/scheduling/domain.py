"""What the scheduling domain contributes (mutualisation/declarations.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..declarations import Domain
from ..ui import MANAGE, NavItem
from . import jobs, services, views

DOMAIN = Domain(
    name="scheduling",
    blueprints=(views.bp,),
    jobs=tuple(jobs.JOBS),
    policies={"scheduler:admin": services.can_administer_scheduler},
    nav_items=(
        NavItem("scheduling.admin_jobs", _l("Scheduled jobs"), roles=("admin",), order=95, menu=MANAGE),
    ),
)
