"""Open-data downloads and the map of the network: public reads on the impact API blueprint."""

from __future__ import annotations

from flask import Response, jsonify

from ..errors import NotFound
from ..i18n import N_
from ..web import db_session
from .api import blp
from .dashboards import network_links
from .exports import FORMATS
from .open_data import ALL_EXPORTS, datapackage, export_text

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "geojson": "application/geo+json"}


@blp.route("/exports/datapackage.json")
def export_datapackage():
    """The Frictionless Data Package describing every export, with its table schema and licence."""
    return jsonify(datapackage())


@blp.route("/exports/<name>.<fmt>")
def export(name: str, fmt: str):
    """An open-data export: `listings`, `agreements`, `impact` or `sheets`, as csv, json or geojson."""
    if name not in ALL_EXPORTS or fmt not in FORMATS:
        raise NotFound(N_("No such export."))
    text, _count = export_text(db_session(), name, fmt)
    response = Response(text, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    return response


@blp.route("/impact/network")
def network():
    """Territories that are parties to public agreements, and the lines between partners, weighted."""
    return jsonify(network_links(db_session()))
