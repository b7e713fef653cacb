"""The door's first check on every request, so that no view can forget it.

Text that neither database can store (a NUL byte breaks PostgreSQL's text type, a lone surrogate
cannot be encoded to UTF-8) and JSON nested deeper than any payload of ours (the parser recurses
and ends in RecursionError) are refused with a 400 before a view, a schema or a query sees them.
The app's JSON provider also never writes NaN or Infinity, which are not JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from .errors import UnreadableInput
from .i18n import N_
from .json_provider import iso_default

# No payload of the API is deeper than a handful of levels (agreement terms → lines → line).
MAX_JSON_DEPTH = 32
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = N_("The request contains characters that cannot be stored.")
TOO_DEEP_MESSAGE = N_("The JSON document is nested too deeply.")


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsing without RecursionError and writing only standard JSON, dates in ISO 8601."""

    default = staticmethod(iso_default)  # type: ignore[assignment]

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:  # Werkzeug turns a ValueError into a 400, not a RecursionError
            raise ValueError(TOO_DEEP_MESSAGE) from exc

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs["allow_nan"] = False
        try:
            return super().dumps(obj, **kwargs)
        except ValueError:
            # A non-finite float (a legacy row, a computation): null is the honest JSON for it.
            return super().dumps(finite_only(obj), **kwargs)


def finite_only(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None, containers rebuilt."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_only(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_only(v) for v in value]
    return value


def json_problem(document: Any) -> str | None:
    """Why a parsed JSON document cannot be accepted, or None; iterative, so depth cannot hurt."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return TOO_DEEP_MESSAGE
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return UNSTORABLE_MESSAGE
        elif isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((sub, depth + 1) for sub in item.values())
        elif isinstance(item, list):
            stack.extend((sub, depth + 1) for sub in item)
    return None


def _text_is_unstorable(values) -> bool:
    return any(_UNSTORABLE.search(v) for v in values if isinstance(v, str))


def _json_body_problem() -> str | None:
    data = request.get_data(cache=True) if request.is_json else b""
    if not data:
        return None
    try:
        document = json.loads(data)
    except RecursionError:
        return TOO_DEEP_MESSAGE
    except ValueError:
        return None  # malformed JSON: the view's own parser answers it with the usual error
    return json_problem(document)


def check_request_input() -> None:
    """before_request: refuse unstorable text in the path, the query, a form or a JSON body."""
    texts = [request.path, *(t for pair in request.args.items(multi=True) for t in pair)]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        texts += [t for pair in request.form.items(multi=True) for t in pair]
    if _text_is_unstorable(texts):
        raise UnreadableInput(UNSTORABLE_MESSAGE)
    problem = _json_body_problem()
    if problem:
        raise UnreadableInput(problem)


def install_input_gate(app: Flask) -> None:
    app.json = SafeJSONProvider(app)
    app.before_request(check_request_input)
