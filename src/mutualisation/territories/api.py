from __future__ import annotations

from flask_smorest import Blueprint

from ..web import Page, db_session, paginated
from . import services
from .schemas import TerritoryPageSchema, TerritoryQuerySchema, TerritorySchema

blp = Blueprint("territories_api", __name__, url_prefix="/api/v1/territories", description="French communes")


@blp.route("")
@blp.arguments(TerritoryQuerySchema, location="query")
@blp.response(200, TerritoryPageSchema)
def search(args):
    """Search communes by name, postcode or INSEE code (accents, case and hyphens ignored).

    The gazetteer is public open data, so no authentication is needed.
    """
    page = Page(args["page"], args["per_page"])
    items, total = services.search(db_session(), args["q"], limit=page.per_page, offset=page.offset)
    return paginated(items, page, total)


@blp.route("/<code>")
@blp.response(200, TerritorySchema)
@blp.alt_response(404, description="Unknown INSEE code", schema="Error")
def get(code: str):
    """One territory by INSEE (or SIREN) code."""
    return services.get_by_code(db_session(), code)
