"""The listing vocabularies as enums: the one source of the codes. Pure.

Models derive their CHECK constraints from these, forms and schemas their choices, and
`labels.py` the words a reader sees. The statuses live with their transitions in
`lifecycle.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .taxonomy import CATEGORY_CODES


class Kind(StrEnum):
    OFFER = "offer"
    NEED = "need"


class Sort(StrEnum):
    """How a browse page is ordered; relevance by default, which is the newest first when no
    text is searched (`listings.browse.Search`)."""

    RELEVANCE = "relevance"
    NEWEST = "newest"
    NEAREST = "nearest"


class Logistics(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"
    BOTH = "both"


class Conditions(StrEnum):
    FREE = "free"
    LOAN = "loan"
    EXCHANGE = "exchange"
    COST_SHARING = "cost_sharing"


def codes(vocabulary: Iterable[StrEnum]) -> tuple[str, ...]:
    """The plain string codes of an enum, in declaration order."""
    return tuple(member.value for member in vocabulary)


def check_in(column: str, values: Iterable[str]) -> str:
    """The text of a `column IN (...)` CHECK constraint, as the migrations spell it."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


KINDS = codes(Kind)
SORTS = codes(Sort)
LOGISTICS = codes(Logistics)
CONDITIONS = codes(Conditions)
CATEGORIES = CATEGORY_CODES
DEFAULT_LOGISTICS = Logistics.BOTH.value
DEFAULT_CONDITIONS = Conditions.FREE.value

# The fields a user writes, in the order forms, exports and copies use them.
CONTENT_FIELDS = (
    "kind",
    "category",
    "subcategory",
    "title",
    "description",
    "quantity",
    "unit",
    "available_from",
    "available_until",
    "recurring",
    "inexhaustible",
    "bookable_units",
    "booking_buffer_days",
    "remote_possible",
    "logistics",
    "max_distance_km",
    "conditions",
    "deposit_eur",
    "insurance_required",
    "qualified_operator_required",
    "network_only",
    "latitude",
    "longitude",
    "address",
)
