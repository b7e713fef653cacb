"""The saved searches (alerts) JSON API. Thin: parse, call one use case, answer."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..web import api_user, db_session, page_from_args, paginated
from . import alerts
from .schemas import AlertCreateSchema, AlertPageSchema, AlertSchema

blp = Blueprint("alerts_api", __name__, url_prefix="/api/v1", description="Saved searches and their alerts")


@blp.route("/alerts", methods=["POST"])
@blp.arguments(AlertCreateSchema)
@blp.response(201, AlertSchema)
@blp.alt_response(401, description="Not logged in", schema="Error")
@blp.alt_response(422, description="Invalid filters", schema="Error")
def create(data):
    """Save browse filters; a new listing meeting them is announced by notification (bell and e-mail).

    Idempotent: saving the same filters again creates nothing and answers the search saved before
    (its `id`), with the contract's 201 all the same, so that a client retrying a save is not failed."""
    alert, _created = alerts.create_alert(db_session(), api_user(), data)
    return alert


@blp.route("/alerts")
@blp.response(200, AlertPageSchema)
@blp.alt_response(401, description="Not logged in", schema="Error")
def list_alerts():
    """My saved searches, newest first."""
    page = page_from_args()
    items = alerts.list_alerts(db_session(), api_user())
    start = (page.page - 1) * page.per_page
    return paginated(items[start : start + page.per_page], page, len(items))


@blp.route("/alerts/<int:alert_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(401, description="Not logged in", schema="Error")
@blp.alt_response(404, description="No such saved search (or not yours)", schema="Error")
def delete(alert_id: int):
    """Delete one of my saved searches."""
    alerts.delete_alert(db_session(), api_user(), alert_id)
