"""The listing lifecycle as data: statuses, actions and the transition table. Pure.

draft → published → reserved → fulfilled, with the exits expired and withdrawn.
Inexhaustible or recurring listings are not used up by an agreement: reserving or
fulfilling them leaves them published, so others may still answer them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..errors import InvalidTransition, RuleViolation
from ..i18n import N_


class ListingStatus(StrEnum):
    """The one list of statuses: the CHECK constraint, filters, labels and demo derive from it."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RESERVED = "reserved"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


# Plain strings, as the database returns them.
DRAFT = ListingStatus.DRAFT.value
PUBLISHED = ListingStatus.PUBLISHED.value
RESERVED = ListingStatus.RESERVED.value
FULFILLED = ListingStatus.FULFILLED.value
EXPIRED = ListingStatus.EXPIRED.value
WITHDRAWN = ListingStatus.WITHDRAWN.value
STATUSES: tuple[str, ...] = tuple(status.value for status in ListingStatus)

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "publish": (frozenset({DRAFT}), PUBLISHED),
    "reserve": (frozenset({PUBLISHED}), RESERVED),
    "release": (frozenset({RESERVED}), PUBLISHED),  # the agreement fell through
    "fulfil": (frozenset({PUBLISHED, RESERVED}), FULFILLED),
    "expire": (frozenset({DRAFT, PUBLISHED}), EXPIRED),
    "withdraw": (frozenset({DRAFT, PUBLISHED, RESERVED, EXPIRED}), WITHDRAWN),
    "renew": (frozenset({EXPIRED}), PUBLISHED),
}

# Statuses in which the owner may still edit the content.
EDITABLE = frozenset({DRAFT, PUBLISHED, EXPIRED})

# Agreements on these actions do not use up a reusable listing (see `is_reusable`).
USING_UP_ACTIONS = frozenset({"reserve", "fulfil"})

REASON_REQUIRED = N_("A reason is required.")
WITHDRAWAL_REASONS = ("exchanged_elsewhere", "no_longer_available", "other")
OTHER_REASON_PREFIX = "other: "


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    from_status: str
    to_status: str


def is_reusable(inexhaustible: bool | None, recurring: bool | None) -> bool:
    """The one rule for a listing that an agreement does not use up.

    Inexhaustible skills and recurring supplies stay available to others: reserving or
    fulfilling them leaves them published.
    """
    return bool(inexhaustible or recurring)


def stays_published(action: str, *, reusable: bool) -> bool:
    """Whether `action` leaves a listing as it is because the listing is reusable."""
    return reusable and action in USING_UP_ACTIONS


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _to) in TRANSITIONS.items() if status in sources]


def transition(status: str, action: str, *, reusable: bool = False) -> Transition:
    """The change `action` makes from `status`, or InvalidTransition.

    `reusable` (inexhaustible or recurring) keeps the listing published on reserve and fulfil.
    """
    try:
        sources, target = TRANSITIONS[action]
    except KeyError:
        raise InvalidTransition(N_("Unknown action.")) from None
    if status not in sources:
        raise InvalidTransition(N_("This action is not possible in the listing's current status."))
    if stays_published(action, reusable=reusable):
        target = PUBLISHED
    return Transition(action, status, target)


def withdrawal_reason(code: str | None, text: str | None) -> str:
    """The stored reason: a known code, or "other: <free text>" (free text required for other)."""
    code = (code or "").strip()
    text = (text or "").strip()
    if code not in WITHDRAWAL_REASONS:
        raise RuleViolation(REASON_REQUIRED, {"reason": [N_("Choose a reason from the list.")]})
    if code == "other":
        if not text:
            raise RuleViolation(REASON_REQUIRED, {"reason_text": [N_("Please explain the reason.")]})
        if len(text) > 280:
            raise RuleViolation(REASON_REQUIRED, {"reason_text": [N_("At most 280 characters.")]})
        return f"{OTHER_REASON_PREFIX}{text}"
    return code
