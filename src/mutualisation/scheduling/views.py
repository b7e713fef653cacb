"""The admin page of scheduled jobs (its URL, /admin/jobs, is unchanged)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from ..web import acting_user, db_session
from . import services

bp = Blueprint("scheduling", __name__)


@bp.route("/admin/jobs")
@login_required
def admin_jobs() -> str:
    overview = services.jobs_overview(db_session(), acting_user())
    return render_template("scheduling/admin_jobs.html", overview=overview)
