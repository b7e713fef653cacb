"""Front-end libraries served from their Python packages (xstatic), never copied into the repo."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from xstatic.pkg import bootstrap, leaflet, leaflet_markercluster

bp = Blueprint("assets", __name__)

# The xstatic packages are dependencies (pyproject.toml): each one knows where its files are.
LIBRARIES = {
    "bootstrap": Path(bootstrap.BASE_DIR),
    "leaflet": Path(leaflet.BASE_DIR),
    "markercluster": Path(leaflet_markercluster.BASE_DIR),
}


def library_dir(name: str) -> Path | None:
    return LIBRARIES.get(name)


@bp.route("/assets/<name>/<path:filename>")
def library_file(name: str, filename: str):
    folder = library_dir(name)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=7 * 24 * 3600)
