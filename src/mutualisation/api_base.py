"""The JSON API's shared machinery: flask-smorest's Api with our error shape."""

from __future__ import annotations

from flask import request
from flask_smorest import Api as SmorestApi
from marshmallow import Schema, fields, validate

from .web import MAX_PAGE, api_user
from .web_errors import handle_http, recover_session

API_PREFIX = "/api/v1"


class Api(SmorestApi):
    """flask-smorest's Api, answering errors in our `{"error": …}` shape instead of its own."""

    def handle_http_exception(self, error):
        recover_session()
        return handle_http(error)


api = Api()

# Public reference data and the way in; everything else under /api/ needs a caller.
PUBLIC_API_PATHS = frozenset(
    {
        f"{API_PREFIX}/auth/tokens",
        f"{API_PREFIX}/openapi.json",
        f"{API_PREFIX}/docs",
        f"{API_PREFIX}/categories",
        f"{API_PREFIX}/auth/password-reset",
        f"{API_PREFIX}/auth/password-reset/confirm",
        f"{API_PREFIX}/join-requests",
    }
)
PUBLIC_API_PREFIXES = (f"{API_PREFIX}/territories",)
# Public for reading only: visitors browse published public listings (issue 14).
PUBLIC_API_READS = frozenset({f"{API_PREFIX}/listings"})
# Public by design (issue 13): published sheets, impact figures and open data are read by anyone;
# writes under these paths still need a caller.
PUBLIC_READ_PREFIXES = (f"{API_PREFIX}/sheets", f"{API_PREFIX}/impact", f"{API_PREFIX}/exports")


def authenticate_api_request() -> None:
    """Before any API view: identify the caller, so that an anonymous write is a 401 even when its
    body is also invalid (validation runs before the view), and no endpoint can forget to check."""
    path = request.path.rstrip("/")
    if not path.startswith("/api/") or path in PUBLIC_API_PATHS or path.startswith(PUBLIC_API_PREFIXES):
        return
    public_read = path in PUBLIC_API_READS or path.startswith(PUBLIC_READ_PREFIXES)
    if request.method in ("GET", "HEAD") and public_read:
        return
    api_user()


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


def api_settings() -> dict:
    return {
        "API_TITLE": "Mutualisation API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": API_PREFIX,
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                "schemas": {"Error": ERROR_SCHEMA},
            },
            "security": [{"bearer": []}],
            "info": {
                "description": "Offers, needs, matching and agreements shared between peer territories. "
                'Errors use {"error": {"code", "message", "fields"}}.'
            },
        },
    }


class PageSchema(Schema):
    """The envelope of every paginated list: subclasses add `items`."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class PageQuerySchema(Schema):
    """`?page=&per_page=` with the limits of `web.page_from_args`."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
