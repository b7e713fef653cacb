"""Pure helpers for searching territories by name, INSEE code or postcode.

The database keeps ``search_name = normalize(name)`` next to each territory, and the
search compares it with ``normalize(query)``. Both sides must therefore go through the
same function: any change here requires recomputing the stored column.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

# Letters that NFKD does not decompose but that users type without the ligature.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# French place names abbreviate "Saint" in every source (La Poste, road signs, users).
# Expanding the short forms, rather than shortening the long ones, keeps the stored
# value readable and makes "st omer", "St-Omer" and "Saint-Omer" identical.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}

_POSTCODE = re.compile(r"\d{5}")
_INSEE_CODE = re.compile(r"(?:\d{2}|2A|2B)\d{3}")


def normalize(text: str) -> str:
    """Fold a place name into its comparable form: ``"Saint-Étienne"`` → ``"saint etienne"``."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    without_accents = "".join(char for char in folded if not unicodedata.combining(char))
    # casefold() runs before NFKD and may miss letters NFKD produces (e.g. from "ﬁ" or "Ⅻ").
    words = _NOT_ALNUM.split(without_accents.casefold())
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words if word)


class QueryKind(enum.StrEnum):
    INSEE_CODE = "insee_code"
    POSTCODE = "postcode"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class ClassifiedQuery:
    """What a search box query may be, and the value to compare for it.

    Five digits are genuinely ambiguous ("62750" is a postcode, "62528" an INSEE code,
    and both look alike), so ``kinds`` may hold both code kinds: the search then looks
    in both columns. ``value`` is the compact upper-case code, or ``normalize(text)``.
    """

    kinds: frozenset[QueryKind]
    value: str

    @property
    def may_be_insee_code(self) -> bool:
        return QueryKind.INSEE_CODE in self.kinds

    @property
    def may_be_postcode(self) -> bool:
        return QueryKind.POSTCODE in self.kinds

    @property
    def is_name(self) -> bool:
        return QueryKind.NAME in self.kinds


def classify_query(text: str) -> ClassifiedQuery:
    """Tell whether a query looks like an INSEE code, a postcode (or both) or a name."""
    # People write postcodes as "62 750" or paste them with surrounding spaces.
    compact = "".join(text.split()).upper()
    kinds = set()
    if _INSEE_CODE.fullmatch(compact):
        kinds.add(QueryKind.INSEE_CODE)
    if _POSTCODE.fullmatch(compact):
        kinds.add(QueryKind.POSTCODE)
    if kinds:
        return ClassifiedQuery(frozenset(kinds), compact)
    return ClassifiedQuery(frozenset({QueryKind.NAME}), normalize(text))


# "Saint-Martin (65388)": what the autocomplete shows for a suggestion, name then code.
_PICKED = re.compile(r"^(?P<name>.*?)\s*\((?P<code>(?:\d{2}|2A|2B)\d{3}|\d{9})\)\s*$", re.IGNORECASE)


def split_pick(text: str) -> tuple[str, str | None]:
    """The name and the code of a suggestion's text ``"Name (CODE)"``; a plain text has no code."""
    found = _PICKED.match(text or "")
    if found is None:
        return (text or "").strip(), None
    return found.group("name").strip(), found.group("code").upper()
