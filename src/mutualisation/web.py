"""Helpers shared by the thin doors (views and API): the request's session, the acting user,
pagination. No rules live here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import Session

from .db import reading_session
from .errors import DomainError, Unauthorized, ValidationFailed
from .i18n import N_


def db_session() -> Session:
    """The request's (or CLI command's) session, closed at the end of the app context."""
    if "db_session" not in g:
        sessions = current_app.extensions["mutualisation.sessions"]
        # Safe methods read: on SQLite they must not queue behind writers (see db.reading_session).
        safe = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        g.db_session = reading_session(sessions) if safe else sessions()
    return g.db_session


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


# What browsers drop or rewrite in a URL before resolving it (WHATWG URL parser): ASCII tab and
# newlines anywhere, C0 controls and spaces at the ends; a backslash counts as a slash.
_DROPPED_BY_BROWSERS = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def safe_redirect_target(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: the one gate of every redirect to a
    user-supplied place (`?next=`, a form's `next`, a stored link), so that none is an open redirect.

    The target is first normalised the way a browser would, because "/<tab>/evil.example" or
    "/<backslash>evil.example" look like paths to a naive check but a browser follows them to another host.
    """
    if not target:
        return default
    cleaned = _DROPPED_BY_BROWSERS.sub("", target).strip(_C0_AND_SPACE)
    cleaned = cleaned.replace("\\", "/")
    if not cleaned.startswith("/") or cleaned.startswith("//") or not cleaned.isprintable():
        return default
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return default
    return cleaned


def acting_user():
    """The logged-in user, or None for an anonymous visitor."""
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def api_user():
    """The API caller: a Bearer token, or the browser's session cookie for safe methods only.

    Refusing the cookie on writes is what makes the JSON API safe without CSRF tokens.
    """
    if "api_user" in g:
        return g.api_user
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        # Installed by create_app (accounts owns tokens): web stays below accounts in the layering.
        user_for_token = current_app.extensions["mutualisation.token_user"]
        user = user_for_token(db_session(), header[7:])
    else:
        user = acting_user()
        if user is None:
            raise Unauthorized(N_("Authentication required: send a Bearer token."))
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            raise Unauthorized(N_("Writes through the API need a Bearer token."))
    g.api_user = user
    return user


# The last page number any list accepts (API schemas and HTML lists alike): with 100 per page,
# the offset stays far below the databases' integer limits.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_from_args(args: Any | None = None) -> Page:
    """Read ?page=&per_page= within `MAX_PAGE` and the `pagination` settings; bad values: 422, not 500."""
    args = request.args if args is None else args
    conf = current_app.config["pagination"]
    fields: dict[str, list[str]] = {}
    page = _positive_int(args.get("page", "1"), "page", fields)
    per_page = _positive_int(args.get("per_page", str(conf["default_per_page"])), "per_page", fields)
    if per_page and per_page > conf["max_per_page"]:
        fields["per_page"] = [f"Must be between 1 and {conf['max_per_page']}."]
    if page > MAX_PAGE:  # an offset beyond what the databases' integers hold is a 422, not a 500
        fields["page"] = [f"Must be between 1 and {MAX_PAGE}."]
    if fields:
        raise ValidationFailed(N_("Invalid pagination."), fields)
    return Page(page, per_page)


def _positive_int(raw: str, name: str, fields: dict[str, list[str]]) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        fields[name] = [N_("Not a valid integer.")]
        return 0
    if value < 1:
        fields[name] = [N_("Must be greater than or equal to 1.")]
    return value


def paginated(items: list[Any], page: Page, total: int) -> dict[str, Any]:
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": total}


def show_rule_errors_too(form, errors: Mapping[str, Sequence[str]]) -> None:
    """A form's own checks failed, so its service never ran: show the domain rules' errors too
    (`errors`, from the rules' pure check of the same content), on the fields that have none yet.
    One submission then names every mistake, not the form's first and the rules' on the next try."""
    more = {
        name: list(messages)
        for name, messages in errors.items()
        if not getattr(getattr(form, name, None), "errors", None)
    }
    if more:
        show_form_errors(form, DomainError("", more))


def show_form_errors(form, exc: DomainError, *, field_for=None, with_message: bool = False, **params) -> None:
    """Put a service's field errors next to the form's fields, translated; the rest in the form's
    own `form_errors`.

    Every HTML door shows a service's RuleViolation the same way: the user keeps what they typed
    and reads, in their language, what to correct and where. `field_for(form, name)` maps a
    service field name to a form field when the names differ (nested lines, prefixes). The page's
    one error summary (base.html, `g.form_with_errors`) lists it all, linked to the fields: no
    second banner says the same thing in a flash.
    """
    unplaced: list[str] = []
    for name, messages in exc.fields.items():
        field = field_for(form, name) if field_for else getattr(form, name, None)
        translated = [gettext(m, **params) if params else gettext(m) for m in messages]
        if field is not None and isinstance(getattr(field, "errors", None), list | tuple):
            field.errors = [*field.errors, *translated]
        else:
            unplaced += translated
    head = [gettext(exc.message)] if with_message and exc.message else []
    form.form_errors = [*getattr(form, "form_errors", []), *head, *unplaced]
    g.form_with_errors = form
