"""Front-end libraries served from their Python packages (xstatic), never copied into the repo."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("assets", __name__)

LIBRARIES = {
    "bootstrap": "xstatic.pkg.bootstrap",
    "leaflet": "xstatic.pkg.leaflet",
    "markercluster": "xstatic.pkg.leaflet_markercluster",
}


def library_dir(name: str) -> Path | None:
    module_name = LIBRARIES.get(name)
    if module_name is None:
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return Path(module.BASE_DIR)


@bp.route("/assets/<name>/<path:filename>")
def library_file(name: str, filename: str):
    folder = library_dir(name)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=7 * 24 * 3600)
