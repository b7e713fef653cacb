"""A notification's text: written from English msgids and parameters, read in a language.

`notify` translates the message once in the recipient's language (the subject and body columns,
which e-mails use) and keeps the message itself, so that the notification centre can render it
again in the language the reader has chosen since. Parameters pass through the formatting layer
(dates, moments, numbers) in that language; a plural message picks its form from `count`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import gettext, ngettext

from ..formatting import human
from ..i18n import Text


def translate(text: Text | list[str], params: dict[str, Any]) -> str:
    """The msgid, or the (singular, plural) pair chosen by `count`, in the current locale."""
    values = {key: human(value) for key, value in params.items()}
    if isinstance(text, tuple | list):
        return ngettext(text[0], text[1], int(values.get("count", 1)), **values)
    return gettext(text, **values) if text else ""


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "datetime" in value:
        return dt.datetime.fromisoformat(value["datetime"])
    if isinstance(value, dict) and "date" in value:
        return dt.date.fromisoformat(value["date"])
    return value


def stored(subject: Text, body: Text, params: dict[str, Any]) -> dict[str, Any]:
    """The message as the notification row keeps it (JSON)."""
    return {
        "subject": list(subject) if isinstance(subject, tuple) else subject,
        "body": list(body) if isinstance(body, tuple) else body,
        "params": {key: _encode(value) for key, value in params.items()},
    }


def read(message: dict[str, Any] | None, subject: str, body: str) -> tuple[str, str]:
    """Subject and body in the current locale; rows written before messages were kept, or whose
    message cannot be rendered, show the text written for the recipient."""
    if not message:
        return subject, body
    params = {key: _decode(value) for key, value in (message.get("params") or {}).items()}
    try:
        return translate(message.get("subject") or "", params), translate(message.get("body") or "", params)
    except (KeyError, ValueError, TypeError):
        return subject, body
