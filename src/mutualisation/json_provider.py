"""The app's JSON dates: ISO 8601 in every response (`input_gate.SafeJSONProvider` uses this).

Flask's default provider writes a `date` the way HTTP headers do ("Thu, 01 Apr 2027 00:00:00 GMT").
Endpoints that answer through a marshmallow schema never noticed, but those that return a plain dict
(`jsonify`, or flask-smorest's `@response` without a schema, as the suggestion's accept did) leaked
that format into the API. Fixing it here, once, covers every JSON answer, present and future.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.json.provider import DefaultJSONProvider


def iso_default(value: Any) -> Any:
    """What `json.dumps` cannot write itself: ISO 8601 dates and times; the rest as Flask does."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # the database stores UTC: say so rather than leave it ambiguous
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return DefaultJSONProvider.default(value)
