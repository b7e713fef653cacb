"""The one place that maps errors to HTTP: French HTML pages, or the JSON `{"error": …}` shape."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, render_template
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .errors import Conflict, DomainError
from .extensions import is_api_request
from .i18n import N_
from .library_messages import translated

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "validation_error",
    422: "validation_error",
    429: "rate_limited",
}

HTTP_MESSAGES = {
    400: N_("The request is not valid."),
    401: N_("Please log in to continue."),
    403: N_("You are not allowed to do this."),
    404: N_("This page does not exist."),
    405: N_("This method is not allowed here."),
    409: N_("This was changed by someone else in the meantime."),
    413: N_("The file or form is too large."),
    422: N_("Some fields are not valid."),
    429: N_("Too many attempts. Please wait a moment and try again."),
    500: N_("Something went wrong on our side. The team has been told."),
    503: N_("The service is temporarily unavailable."),
}


def translate_fields(fields: dict) -> dict[str, list[str]]:
    """Flatten nested marshmallow/webargs messages into {"field": ["message", ...]}, translated
    (`library_messages`: the libraries' own messages too, formatted or not)."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, dict):
                    walk(prefix, item)
                else:
                    flat.setdefault(prefix or "_schema", []).append(translated(str(item)))
        else:
            flat.setdefault(prefix or "_schema", []).append(translated(str(value)))

    walk("", fields)
    return flat


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": translate_fields(fields or {})}}
    return body, status


def recover_session() -> None:
    """Make the request's session usable again before an error page reads from it.

    A failed statement leaves a PostgreSQL transaction aborted: every later query of the page (the
    user, the unread count) would fail too, and the visitor would get the server's bare page. Roll
    back first; if even that fails (the connection is gone), drop the session so that any later
    read opens a fresh one.
    """
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # a broken connection: forget this session, never query it again
        log.warning("could not roll back the request's session", exc_info=True)
        g.pop("db_session", None)
        g.pop("_login_user", None)
        try:
            session.close()
        except Exception:
            log.debug("closing a broken session failed too", exc_info=True)


def _html_error(status: int, message: str):
    try:
        return render_template("errors/error.html", status=status, message=message), status
    except Exception:
        # The full layout needs the database (the user, the menus): when even that fails, a page
        # without them, still ours, still in the reader's language.
        log.exception("error page could not be rendered with the layout")
        template = current_app.jinja_env.get_template("errors/plain.html")
        return template.render(status=status, message=message, lang=_page_language()), status


def _page_language() -> str:
    try:
        return str(get_locale() or "fr")
    except Exception:
        return "fr"


def _respond(status: int, code: str, message: str, fields: dict | None = None):
    if is_api_request():
        return json_error(status, code, message, fields)
    return _html_error(status, message)


def handle_domain_error(exc: DomainError):
    message = gettext(exc.message) if exc.message else gettext(HTTP_MESSAGES.get(exc.status, "Error"))
    return _respond(exc.status, exc.code, message, exc.fields)


def handle_stale(_exc: StaleDataError):
    return handle_domain_error(Conflict(HTTP_MESSAGES[409]))


def handle_csrf(_exc: CSRFError):
    message = gettext("Your form expired or was sent from elsewhere. Please reload the page and try again.")
    return _respond(400, "validation_error", message)


def handle_http(exc: HTTPException):
    status = exc.code or 500
    fields: dict[str, Any] | None = None
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and "messages" in data:  # webargs / flask-smorest validation
        messages = data["messages"]
        fields = {}
        for location_messages in messages.values():
            fields.update(
                location_messages if isinstance(location_messages, dict) else {"_schema": location_messages}
            )
    message = gettext(HTTP_MESSAGES.get(status, exc.description or "Error"))
    return _respond(status, HTTP_CODES.get(status, "error"), message, fields)


def handle_unexpected(exc: Exception):
    log.exception("unhandled error", exc_info=exc)
    return _respond(500, "internal_error", gettext(HTTP_MESSAGES[500]))


def _recovering(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The handler, run only after the session is usable again: even translating its message may
    read the user's language from the database."""

    @functools.wraps(handler)
    def wrapper(exc):
        recover_session()
        return handler(exc)

    return wrapper


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, _recovering(handle_domain_error))
    app.register_error_handler(StaleDataError, _recovering(handle_stale))
    app.register_error_handler(CSRFError, _recovering(handle_csrf))
    app.register_error_handler(HTTPException, _recovering(handle_http))
    app.register_error_handler(Exception, _recovering(handle_unexpected))
