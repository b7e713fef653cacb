"""Impact dashboards (network, territory, category), their printable summary, and the helpers the
sheets pages share. Public by design: a visitor reads them without an account. Thin doors.

The sheets pages add their routes to this blueprint (`sheet_views.py`).
"""

from __future__ import annotations

from functools import partial, update_wrapper

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..i18n import reader_language
from ..listings.services import taxonomy
from ..ui import EVERYONE, NavItem
from ..web import db_session
from . import charts, dashboards, sheets

bp = Blueprint("impact", __name__)

# Declared by impact/domain.py; create_app adds them to the shared layout. Visitors see them too.
NAV_ITEMS = (
    NavItem("impact.sheet_list", _l("Experience sheets"), roles=EVERYONE, order=40),
    NavItem("impact.network", _l("Impact"), roles=EVERYONE, order=41),
)

# The figures a dashboard shows, in the order a mayor reads them, each with its unit.
FIGURE_LABELS = (
    ("agreements_completed", _l("Agreements completed"), ""),
    ("money_saved_eur", _l("Money saved"), "€"),
    ("kg_diverted", _l("Kept out of waste"), "kg"),
    ("co2e_kg", _l("CO2e avoided (net)"), "kg"),
    ("km_travelled", _l("Kilometres travelled"), "km"),
)


def theme_label(code: str) -> str:
    theme = next((t for t in sheets.themes() if t.code == code), None)
    return theme.label(reader_language()) if theme else code


def category_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return taxonomy().label(code, reader_language())
    except ValueError:
        return code


@bp.app_context_processor
def _impact_helpers():
    return {"theme_label": theme_label, "sheet_category_label": category_label}


def _year() -> int | None:
    raw = request.args.get("year", "")
    if not raw:
        return None
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        abort(404)
    return int(raw)


def _dashboard(template: str, title: str, filters: dashboards.ImpactFilter, **extra):
    session = db_session()
    figures = dashboards.aggregate(session, filters)
    series = figures["by_month"]
    return render_template(
        template,
        title=title,
        figures=figures,
        labels=FIGURE_LABELS,
        years=dashboards.by_year(series),
        available_years=dashboards.years_with_figures(session),
        year=filters.year,
        charts={key: charts.bar_chart(series, key) for key in ("money_saved_eur", "co2e_kg")},
        chart_titles={
            "money_saved_eur": gettext("Money saved per month (€)"),
            "co2e_kg": gettext("CO2e avoided per month (kg)"),
        },
        summary_args={k: v for k, v in (request.view_args or {}).items()}
        | ({"year": filters.year} if filters.year else {}),
        **extra,
    )


@bp.route("/impact")
def network():
    """The network's dashboard, with the map of partner territories."""
    conf = current_app.config["map"]
    network_data = dashboards.network_links(db_session())
    network_data["names"] = {t["code"]: t["name"] for t in network_data["territories"]}
    return _dashboard(
        "impact/dashboard.html",
        gettext("Impact of the network"),
        dashboards.ImpactFilter(year=_year()),
        scope="network",
        summary_endpoint="impact.network_summary",
        map_conf=conf,
        network_url=url_for("impact_api.network"),
        network=network_data,
    )


def _territory_page(insee: str, template: str):
    place = dashboards.territory_or_404(db_session(), insee)
    return _dashboard(
        template,
        gettext("Impact of %(name)s", name=place.name),
        dashboards.ImpactFilter(territory=insee, year=_year()),
        scope="territory",
        territory=place,
        summary_endpoint="impact.territory_summary",
        sheets_of_territory=sheets.published_for_territory(db_session(), insee),
    )


def _category_page(code: str, template: str):
    if code not in {c.code for c in taxonomy().categories}:
        abort(404)
    return _dashboard(
        template,
        gettext("Impact of the category %(name)s", name=category_label(code)),
        dashboards.ImpactFilter(category=code, year=_year()),
        scope="category",
        summary_endpoint="impact.category_summary",
    )


# Each dashboard has its page and its one-page summary to print for a council meeting.
for _suffix, _template in (("", "impact/dashboard.html"), ("/summary", "impact/summary.html")):
    _name = "_summary" if _suffix else ""
    bp.add_url_rule(
        f"/impact/territory/<insee>{_suffix}",
        f"territory{_name}",
        update_wrapper(partial(_territory_page, template=_template), _territory_page),
    )
    bp.add_url_rule(
        f"/impact/category/<code>{_suffix}",
        f"category{_name}",
        update_wrapper(partial(_category_page, template=_template), _category_page),
    )


@bp.route("/impact/summary")
def network_summary():
    return _dashboard(
        "impact/summary.html", gettext("Impact of the network"), dashboards.ImpactFilter(year=_year())
    )


from . import sheet_views  # noqa: E402,F401  (the sheets pages, on this blueprint)
