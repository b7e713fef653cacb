"""Calendar feeds: the private .ics addresses, and the account page that shows and renews them. Thin."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm

from ..declarations import now_paris
from ..settings import settings_of
from ..ui import ACCOUNT, NavItem
from ..web import acting_user, db_session
from . import services

bp = Blueprint("calendar_feeds", __name__)

# The people who take part in loans; the facilitator reads agreements but lends nothing.
NAV_ITEMS = (
    NavItem(
        "calendar_feeds.manage",
        _l("My calendars"),
        roles=("technician", "official", "actor"),
        order=35,
        menu=ACCOUNT,
    ),
)
ICS = "text/calendar; charset=utf-8"


class FeedForm(FlaskForm):
    """The CSRF token of the regenerate and revoke buttons."""


def _link(agreement_id: int) -> str:
    return url_for("agreements.show", agreement_id=agreement_id, _external=True)


def _ics(body: bytes, name: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = ICS
    response.headers["Content-Disposition"] = f'inline; filename="{name}.ics"'
    # A secret address: keep it out of shared caches and of the referrer of any link it holds.
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/calendar/<token>.ics")
def user_feed(token: str):
    delays = services.Delays.of(settings_of(current_app).agreements)
    body = services.user_feed(db_session(), token, delays, _link, now_paris(), request.host)
    return _ics(body, "mutualisation")


@bp.route("/calendar/territory/<token>.ics")
def territory_feed(token: str):
    body = services.territory_feed(db_session(), token, _link, now_paris(), request.host)
    return _ics(body, "mutualisation-territoire")


def _feed_url(feed, which: str) -> str | None:
    if feed is None:
        return None
    endpoint = "calendar_feeds.user_feed" if which == services.USER else "calendar_feeds.territory_feed"
    return url_for(endpoint, token=feed.token, _external=True)


@bp.route("/account/calendars")
@login_required
def manage():
    user = acting_user()
    feeds = services.feeds_of(db_session(), user)
    return render_template(
        "bookings/calendars.html",
        user_url=_feed_url(feeds[services.USER], services.USER),
        territory_url=_feed_url(feeds[services.TERRITORY], services.TERRITORY),
        may_manage_territory=services.may_manage_territory_feed(user),
        form=FeedForm(),
    )


@bp.route("/account/calendars/<which>/<action>", methods=["POST"])
@login_required
def change(which: str, action: str):
    form = FeedForm()
    if (
        which in (services.USER, services.TERRITORY)
        and action in ("regenerate", "revoke")
        and form.validate()
    ):
        if action == "regenerate":
            services.regenerate(db_session(), acting_user(), which)
            flash(gettext("A new calendar address is ready. The previous one no longer works."), "success")
        else:
            services.revoke(db_session(), acting_user(), which)
            flash(gettext("The calendar address is revoked."), "success")
    else:
        flash(
            gettext("Your form expired or was sent from elsewhere. Please reload the page and try again."),
            "danger",
        )
    return redirect(url_for(".manage"))
