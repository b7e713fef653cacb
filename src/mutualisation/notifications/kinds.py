"""The registry of notification kinds: code, label, default e-mail frequency, whether it asks for an action.

Actions the user must take default to an immediate e-mail; information defaults to the daily digest.
A kind nobody registered falls back to immediate, so a new domain never loses a message.
Other domains declare their own kinds (`Domain.notification_kinds`); create_app registers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

IMMEDIATE, DAILY, WEEKLY, NONE = "immediate", "daily", "weekly", "none"
FREQUENCIES = (IMMEDIATE, DAILY, WEEKLY, NONE)


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any  # lazy gettext string
    default_frequency: str
    is_action: bool


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.default_frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {kind.default_frequency!r} for {kind.code}")
    KINDS[kind.code] = kind
    return kind


def _action(code: str, label: Any) -> None:
    register(Kind(code, label, IMMEDIATE, True))


def _info(code: str, label: Any) -> None:
    register(Kind(code, label, DAILY, False))


_action("agreement.proposal_received", _l("An agreement is proposed to you"))
_action("agreement.approval_requested", _l("An agreement awaits your approval"))
_action("agreement.reminder", _l("Reminder about an agreement"))
_action("agreement.overdue", _l("An agreement item is overdue"))
_action("agreement.evaluation_due", _l("An agreement evaluation is due"))
_action("agreement.extension_requested", _l("An extension of an agreement is requested"))
_action("agreement.incident", _l("An incident is reported on an agreement"))
_info("agreement.approved", _l("An agreement was approved"))
_info("agreement.refused", _l("An agreement was refused"))
_info("agreement.signed", _l("An agreement was signed"))
_info("matching.new_suggestion", _l("New matching suggestions"))
_info("matching.new_suggestions", _l("New matching suggestions (grouped)"))
_info("listing.expiring", _l("A listing is about to expire"))
_info("listing.expired", _l("A listing has expired"))


def get(code: str) -> Kind | None:
    return KINDS.get(code)


def default_frequency(code: str) -> str:
    kind = KINDS.get(code)
    return kind.default_frequency if kind else IMMEDIATE


def label(code: str) -> Any:
    """The kind's label; a code nobody registered reads as a plain "Notification", never as a code
    (tests/unit/notifications/test_kind_labels.py checks that every kind notified is registered)."""
    kind = KINDS.get(code)
    return kind.label if kind else _l("Notification")
