"""The sheets and impact JSON API. Thin: parse, call one service, answer.

Reads are public (a visitor sees published sheets and the figures); writes need a Bearer token.
The open-data exports attach their routes to the same blueprint (`open_data_api.py`).
"""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from ..web import Page, acting_user, api_user, db_session, paginated
from . import sheets
from .dashboards import ImpactFilter, aggregate
from .schemas import (
    ImpactQuerySchema,
    ImpactSchema,
    SheetCreateSchema,
    SheetPageSchema,
    SheetPatchSchema,
    SheetQuerySchema,
    SheetReactionCreateSchema,
    SheetReactionSchema,
    SheetRevisionListSchema,
    SheetSchema,
    sheet_dict,
)
from .sheet_rules import FieldDiff, diff_contents

blp = Blueprint(
    "impact_api",
    __name__,
    url_prefix="/api/v1",
    description="Experience sheets, impact figures and open data",
)

ERRORS = {401: "Not logged in", 403: "Not allowed", 404: "Not found", 409: "Stale version or state"}


def _alt(*codes):
    def wrap(fn):
        for code in codes:
            fn = blp.alt_response(code, description=ERRORS.get(code, "Error"), schema="Error")(fn)
        return fn

    return wrap


def reader():
    """The caller when there is one (token or session cookie), else None: reads are public."""
    if request.headers.get("Authorization"):
        return api_user()  # a bad token is a 401, never a silent anonymous read
    return acting_user()


def _sheet(sheet):
    return sheet_dict(sheet, sheets.results(db_session(), sheet))


@blp.route("/sheets")
@blp.arguments(SheetQuerySchema, location="query")
@blp.response(200, SheetPageSchema)
def list_sheets(args):
    """Published sheets; `q` searches the text (accents and French word forms ignored)."""
    page = Page(args["page"], args["per_page"])
    filters = sheets.SheetFilters(
        q=args.get("q"),
        theme=args.get("theme"),
        territory=args.get("territory"),
        category=args.get("category"),
    )
    items, total = sheets.search_published(db_session(), filters, page=page.page, per_page=page.per_page)
    return paginated([_sheet(s) for s in items], page, total)


@blp.route("/sheets", methods=["POST"])
@blp.arguments(SheetCreateSchema)
@blp.response(201, SheetSchema)
@_alt(401, 403)
def create_sheet(data):
    """Write a draft sheet (technicians, officials, local actors); its territory is the author's."""
    return _sheet(sheets.create(db_session(), api_user(), data))


@blp.route("/sheets/<int:sheet_id>")
@blp.response(200, SheetSchema)
@_alt(404)
def get_sheet(sheet_id: int):
    """A sheet: public once published; a draft for its author, its territory's staff and the admin."""
    return _sheet(sheets.get(db_session(), reader(), sheet_id))


@blp.route("/sheets/<int:sheet_id>", methods=["PATCH"])
@blp.arguments(SheetPatchSchema)
@blp.response(200, SheetSchema)
@_alt(401, 403, 404, 409)
def patch_sheet(data, sheet_id: int):
    """Edit a sheet: each edit is a new version. Send the `version` you read: a stale one gets 409."""
    version = data.pop("version")
    return _sheet(sheets.update(db_session(), api_user(), sheet_id, data, version=version))


@blp.route("/sheets/<int:sheet_id>/revisions")
@blp.response(200, SheetRevisionListSchema)
@_alt(404)
def sheet_revisions(sheet_id: int):
    """Every version, oldest first, each with its author's role and territory and its diff."""
    items, previous = [], None
    for revision in sheets.revisions(db_session(), reader(), sheet_id):
        changes: list[FieldDiff] = diff_contents(previous.content, revision.content) if previous else []
        items.append(
            {
                "version": revision.version,
                "author_role": revision.author_role,
                "author_territory": revision.author_territory,
                "comment": revision.comment,
                "created_at": revision.created_at,
                "content": revision.content,
                "changes": changes,
            }
        )
        previous = revision
    return {"items": items}


@blp.route("/sheets/<int:sheet_id>/publish", methods=["POST"])
@blp.response(200, SheetSchema)
@_alt(401, 403, 404, 409)
def publish_sheet(sheet_id: int):
    """Publish a draft: an official of the sheet's territory."""
    return _sheet(sheets.publish(db_session(), api_user(), sheet_id))


@blp.route("/sheets/<int:sheet_id>/reactions", methods=["POST"])
@blp.arguments(SheetReactionCreateSchema)
@blp.response(201, SheetReactionSchema)
@_alt(401, 403, 404)
def react(data, sheet_id: int):
    """A reuse ("we took it up": where and how it went), a comment, or a documented contradiction."""
    return sheets.react(db_session(), api_user(), sheet_id, data["kind"], data["body"])


@blp.route("/agreements/<int:agreement_id>/sheet", methods=["POST"])
@blp.response(201, SheetSchema)
@_alt(401, 403, 404)
def sheet_from_agreement(agreement_id: int):
    """A party of an evaluated agreement drafts a sheet prefilled with its evaluations and lessons."""
    return _sheet(sheets.draft_from_agreement(db_session(), api_user(), agreement_id))


@blp.route("/impact")
@blp.arguments(ImpactQuerySchema, location="query")
@blp.response(200, ImpactSchema)
def impact(args):
    """Totals of the evaluated agreements (network, a territory, a category, a year) and by month."""
    return aggregate(db_session(), ImpactFilter(**args))


from . import open_data_api  # noqa: E402,F401  (routes on this blueprint)
