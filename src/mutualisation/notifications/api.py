from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from ..web import api_user, db_session, page_from_args, paginated
from . import services
from .schemas import NotificationPageSchema, NotificationSchema

blp = Blueprint("notifications_api", __name__, url_prefix="/api/v1", description="The caller's notifications")


@blp.route("/notifications")
@blp.response(200, NotificationPageSchema)
@blp.alt_response(401, description="Not authenticated", schema="Error")
def list_notifications():
    """The caller's notifications, newest first; `?unread=true` for unread ones only."""
    user = api_user()
    page = page_from_args()
    unread = request.args.get("unread", "").lower() in ("true", "1", "yes")
    items, total = services.list_notifications(
        db_session(), user, unread_only=unread, offset=page.offset, limit=page.per_page
    )
    return paginated(items, page, total)


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
@blp.alt_response(404, description="Not found, or not the caller's", schema="Error")
def mark_read(notification_id: int):
    """Mark one of the caller's notifications as read (someone else's is a 404)."""
    return services.mark_read(db_session(), api_user(), notification_id)
