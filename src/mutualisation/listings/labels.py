"""What a reader sees for each listing code: the one place for these words.

Keyed by the enums of `vocabulary.py` and `lifecycle.py`; forms build their choices here,
templates reach the labels through the helpers the listings blueprint gives every page
(`status_label`, `logistics_label`, `conditions_label`, `kind_label`, `reason_label`), and
other domains (agreement terms) import them. Labels are lazy: they follow the reader's locale.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..formatting import day
from .lifecycle import OTHER_REASON_PREFIX, ListingStatus
from .vocabulary import Conditions, Kind, Logistics

KIND_LABELS: Mapping[str, Any] = {Kind.OFFER: _l("Offer"), Kind.NEED: _l("Need")}
STATUS_LABELS: Mapping[str, Any] = {
    ListingStatus.DRAFT: _l("Draft"),
    ListingStatus.PUBLISHED: _l("Published"),
    ListingStatus.RESERVED: _l("Reserved"),
    ListingStatus.FULFILLED: _l("Fulfilled"),
    ListingStatus.EXPIRED: _l("Expired"),
    ListingStatus.WITHDRAWN: _l("Withdrawn"),
}
LOGISTICS_LABELS: Mapping[str, Any] = {
    Logistics.PICKUP: _l("Pickup"),
    Logistics.DELIVERY: _l("Delivery"),
    Logistics.BOTH: _l("Pickup or delivery"),
}
CONDITIONS_LABELS: Mapping[str, Any] = {
    Conditions.FREE: _l("Free"),
    Conditions.LOAN: _l("Loan"),
    Conditions.EXCHANGE: _l("Exchange"),
    Conditions.COST_SHARING: _l("Cost sharing"),
}
WITHDRAWAL_REASON_LABELS: Mapping[str, Any] = {
    "exchanged_elsewhere": _l("Exchanged elsewhere"),
    "no_longer_available": _l("No longer available"),
    "other": _l("Other reason"),
}
# Comments the code writes in a listing's history, beside the reasons people choose.
HISTORY_COMMENT_LABELS: Mapping[str, Any] = {
    **WITHDRAWAL_REASON_LABELS,
    "available_until passed": _l("The availability window has passed"),  # listings/expiry.py
}


def choices(labels: Mapping[str, Any], order: Iterable[str] | None = None) -> list[tuple[str, Any]]:
    """(code, label) pairs for a select field, in `order` (default: the vocabulary's order)."""
    return [(str(code), labels[code]) for code in (order if order is not None else labels)]


def label(labels: Mapping[str, Any], code: str | None) -> str:
    """The label of `code` in the reader's language; an unknown code is shown as it is."""
    if code is None:
        return ""
    found = labels.get(code)
    return str(found) if found is not None else code


# Comments the code itself writes into a listing's history (agreements' reservations, renewals):
# stored as data, read in the reader's language.
_AGREEMENT_COMMENT = re.compile(r"^agreement #(\d+)$")
_RENEWED_COMMENT = re.compile(r"^renewed until (\d{4}-\d{2}-\d{2})$")


def reason_label(stored: str | None) -> str:
    """A stored history comment: a withdrawal reason code, "other: <free text>", a comment the
    code wrote (an agreement's reservation, a renewal), or what a person typed."""
    if not stored:
        return ""
    if stored.startswith(OTHER_REASON_PREFIX):
        return gettext("Other reason: %(text)s", text=stored[len(OTHER_REASON_PREFIX) :])
    if found := _AGREEMENT_COMMENT.match(stored):
        return gettext("Agreement no. %(number)s", number=found.group(1))
    if found := _RENEWED_COMMENT.match(stored):
        return gettext("Renewed until %(date)s", date=day(dt.date.fromisoformat(found.group(1))))
    return label(HISTORY_COMMENT_LABELS, stored)


def template_helpers() -> dict[str, Any]:
    """The label helpers every page may call."""
    return {
        "kind_label": lambda code: label(KIND_LABELS, code),
        "status_label": lambda code: label(STATUS_LABELS, code),
        "logistics_label": lambda code: label(LOGISTICS_LABELS, code),
        "conditions_label": lambda code: label(CONDITIONS_LABELS, code),
        "reason_label": reason_label,
    }
