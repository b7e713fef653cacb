"""Why a listing has no suggestion (pure): counts of counterparts stopped by each hard filter.

Explaining an absence matters as much as explaining a score: "3 compatible offers beyond your
radius of 100 km; the nearest is 140 km away" tells the owner what to change. `absence_facts`
runs the very same filters as the engine (`scoring.filter_masks`) against every published
counterpart of the category and charges each counterpart to the FIRST filter it fails, in the
order owner, subcategory, window, quantity, distance, score; `explain_absence` turns the counts
into English msgids with their parameters, translated where they are shown. Reserved counterparts
(held by an agreement under way) that would otherwise match are counted apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..geo import Km
from ..i18n import N_, NP_, Text
from .arrays import OFFER, ListingArrays
from .config import MatchingConfig
from .scoring import filter_masks, pair_distance_km, pair_scores

# A widened radius is rounded up to this many km, so that the button offers a round figure.
WIDEN_STEP_KM = 10.0


@dataclass(frozen=True)
class AbsenceFacts:
    """What stopped each published counterpart of a listing's category."""

    counterpart_kind: str  # "offer" or "need": what the listing is looking for
    located: bool
    counterparts: int
    own: int  # the listing's owner's own counterparts
    subcategory: int
    window: int
    quantity: int
    beyond_radius: int  # pass every filter but the distance
    nearest_beyond_km: float | None
    radius_km: float  # the listing's own radius (inf when remote work is possible)
    widen_to_km: float | None  # the radius that lets the nearest one in; None if ours is not the limit
    low_score: int  # pass every filter but score below `min_score`
    # Reserved counterparts (an agreement under way holds them) that would otherwise be suggested:
    # the match exists but is taken, which no other reason says.
    reserved: int = 0


@dataclass(frozen=True)
class Reason:
    """One sentence of an explanation: an English msgid (or a singular and plural pair chosen by
    its `count`) and its parameters."""

    code: str
    msgid: Text
    params: dict[str, Any]


def _first_failures(masks: list[np.ndarray[Any, Any]]) -> list[int]:
    """How many pairs fail each mask first (they are checked in order)."""
    alive = np.ones(masks[0].shape, dtype=bool) if masks else np.ones(0, dtype=bool)
    counts = []
    for mask in masks:
        counts.append(int((alive & ~mask).sum()))
        alive &= mask
    return counts


def _sides(listing: ListingArrays, others: ListingArrays) -> tuple[Any, Any, Any, Any]:
    """(offers, offer rows, needs, need rows): the listing paired with each of `others`."""
    n = len(others)
    me, them = np.zeros(n, dtype=np.int64), np.arange(n)
    return (listing, me, others, them) if int(listing.kind[0]) == OFFER else (others, them, listing, me)


def _would_match(listing: ListingArrays, others: ListingArrays, cfg: MatchingConfig) -> int:
    """How many of `others` pass every hard filter with the listing and reach `min_score`."""
    if not len(others):
        return 0
    sides = _sides(listing, others)
    with np.errstate(invalid="ignore"):
        score, valid = pair_scores(*sides, pair_distance_km(*sides), cfg)
        return int((valid & (score >= cfg.min_score)).sum())


def absence_facts(
    listing: ListingArrays, others: ListingArrays, cfg: MatchingConfig, reserved: ListingArrays | None = None
) -> AbsenceFacts:
    """The facts of one listing (a one-row `listing`) against the counterparts `others`.

    `others` are the published listings of the opposite kind in the listing's category; `reserved`,
    those an agreement under way holds, which the engine does not pair.
    """
    n = len(others)
    is_offer = int(listing.kind[0]) == OFFER
    sides = _sides(listing, others)
    own_radius = float(listing.radius_km(cfg)[0])
    located = not (math.isnan(float(listing.lat[0])) or math.isnan(float(listing.lon[0])))
    dist = pair_distance_km(*sides)
    masks = filter_masks(*sides, dist, cfg)
    own, sub, window, qty = _first_failures([masks.owner, masks.subcategory, masks.window, masks.quantity])
    compatible = masks.owner & masks.subcategory & masks.window & masks.quantity
    beyond = compatible & ~masks.distance & ~np.isnan(dist)
    with np.errstate(invalid="ignore"):
        score, valid = pair_scores(*sides, dist, cfg)
        low = int((valid & (score < cfg.min_score)).sum())
    nearest = float(dist[beyond].min()) if beyond.any() else None
    # Our radius is the limit where the counterpart itself accepts the distance.
    their = others.radius_km(cfg)
    fixable = beyond & (dist <= their) & (dist > own_radius)
    widen = math.ceil(float(dist[fixable].min()) / WIDEN_STEP_KM) * WIDEN_STEP_KM if fixable.any() else None
    return AbsenceFacts(
        counterpart_kind="need" if is_offer else "offer",
        located=located,
        counterparts=n,
        own=own,
        subcategory=sub,
        window=window,
        quantity=qty,
        beyond_radius=int(beyond.sum()),
        nearest_beyond_km=nearest,
        radius_km=own_radius,
        widen_to_km=widen,
        low_score=low,
        reserved=0 if reserved is None else _would_match(listing, reserved, cfg),
    )


_OFFERS: dict[str, Text] = {
    "none": N_("No other published offer in this category yet."),
    "beyond": NP_(
        "%(count)s compatible offer beyond your radius of %(radius)s; it is %(nearest)s away.",
        "%(count)s compatible offers beyond your radius of %(radius)s; the nearest is %(nearest)s away.",
    ),
    "beyond_theirs": NP_(
        "%(count)s compatible offer beyond the distance its owner accepts; it is %(nearest)s away.",
        "%(count)s compatible offers beyond the distance their owners accept; "
        "the nearest is %(nearest)s away.",
    ),
    "subcategory": NP_(
        "%(count)s offer of this category is in an unrelated subcategory.",
        "%(count)s offers of this category are in unrelated subcategories.",
    ),
    "window": NP_(
        "%(count)s offer is not available during your dates.",
        "%(count)s offers are not available during your dates.",
    ),
    "quantity": NP_(
        "%(count)s offer cannot supply the quantity you need.",
        "%(count)s offers cannot supply the quantity you need.",
    ),
    "own": NP_("%(count)s offer is your own.", "%(count)s offers are your own."),
    "reserved": NP_(
        "%(count)s compatible offer is reserved for an agreement under way.",
        "%(count)s compatible offers are reserved for agreements under way.",
    ),
    "low_score": NP_(
        "%(count)s offer fits but scores below the threshold of %(threshold)s / 100.",
        "%(count)s offers fit but score below the threshold of %(threshold)s / 100.",
    ),
}
_NEEDS: dict[str, Text] = {
    "none": N_("No other published need in this category yet."),
    "beyond": NP_(
        "%(count)s compatible need beyond your radius of %(radius)s; it is %(nearest)s away.",
        "%(count)s compatible needs beyond your radius of %(radius)s; the nearest is %(nearest)s away.",
    ),
    "beyond_theirs": NP_(
        "%(count)s compatible need beyond the distance its owner accepts; it is %(nearest)s away.",
        "%(count)s compatible needs beyond the distance their owners accept; "
        "the nearest is %(nearest)s away.",
    ),
    "subcategory": NP_(
        "%(count)s need of this category is in an unrelated subcategory.",
        "%(count)s needs of this category are in unrelated subcategories.",
    ),
    "window": NP_(
        "%(count)s need falls outside your availability dates.",
        "%(count)s needs fall outside your availability dates.",
    ),
    "quantity": NP_(
        "%(count)s need asks for more than the quantity you offer.",
        "%(count)s needs ask for more than the quantity you offer.",
    ),
    "own": NP_("%(count)s need is your own.", "%(count)s needs are your own."),
    "reserved": NP_(
        "%(count)s compatible need is reserved for an agreement under way.",
        "%(count)s compatible needs are reserved for agreements under way.",
    ),
    "low_score": NP_(
        "%(count)s need fits but scores below the threshold of %(threshold)s / 100.",
        "%(count)s needs fit but score below the threshold of %(threshold)s / 100.",
    ),
}
# Read by someone who does not manage the listing (a peer technician, an official, a facilitator):
# the sentences that said "your" name the listing instead.
_OFFERS_TO_OTHERS: dict[str, Text] = {
    "beyond": NP_(
        "%(count)s compatible offer beyond this need's radius of %(radius)s; it is %(nearest)s away.",
        "%(count)s compatible offers beyond this need's radius of %(radius)s; "
        "the nearest is %(nearest)s away.",
    ),
    "window": NP_(
        "%(count)s offer is not available during this need's dates.",
        "%(count)s offers are not available during this need's dates.",
    ),
    "quantity": NP_(
        "%(count)s offer cannot supply the quantity this need asks for.",
        "%(count)s offers cannot supply the quantity this need asks for.",
    ),
    "own": NP_(
        "%(count)s offer belongs to this need's owner.", "%(count)s offers belong to this need's owner."
    ),
}
_NEEDS_TO_OTHERS: dict[str, Text] = {
    "beyond": NP_(
        "%(count)s compatible need beyond this offer's radius of %(radius)s; it is %(nearest)s away.",
        "%(count)s compatible needs beyond this offer's radius of %(radius)s; "
        "the nearest is %(nearest)s away.",
    ),
    "window": NP_(
        "%(count)s need falls outside this offer's availability dates.",
        "%(count)s needs fall outside this offer's availability dates.",
    ),
    "quantity": NP_(
        "%(count)s need asks for more than this offer's quantity.",
        "%(count)s needs ask for more than this offer's quantity.",
    ),
    "own": NP_(
        "%(count)s need belongs to this offer's owner.", "%(count)s needs belong to this offer's owner."
    ),
}
_NOT_LOCATED = N_("This listing has no location: give it an address or a territory to get suggestions.")


def _phrases(counterpart_kind: str, manager: bool) -> dict[str, Text]:
    mine, others = (_OFFERS, _OFFERS_TO_OTHERS) if counterpart_kind == "offer" else (_NEEDS, _NEEDS_TO_OTHERS)
    return mine if manager else {**mine, **others}


def explain_absence(facts: AbsenceFacts, cfg: MatchingConfig, *, manager: bool = True) -> list[Reason]:
    """The reasons, most actionable first; an empty list when nothing explains the absence.

    `manager`: the reader manages the listing, and is told about "your radius"; other readers
    are told about the listing's."""
    if not facts.located:
        return [Reason("not_located", _NOT_LOCATED, {})]
    phrases = _phrases(facts.counterpart_kind, manager)
    if facts.counterparts == 0 and not facts.reserved:
        return [Reason("none", phrases["none"], {})]
    reasons = []
    if facts.beyond_radius:
        code = "beyond" if facts.widen_to_km is not None else "beyond_theirs"
        params: dict[str, Any] = {"count": facts.beyond_radius, "nearest": Km(facts.nearest_beyond_km or 0.0)}
        if code == "beyond":  # the listing's own radius limits it (finite then)
            params["radius"] = Km(facts.radius_km)
        reasons.append(Reason(code, phrases[code], params))
    for code in ("reserved", "subcategory", "window", "quantity", "own"):
        count = getattr(facts, code)
        if count:
            reasons.append(Reason(code, phrases[code], {"count": count}))
    if facts.low_score:
        threshold = f"{cfg.min_score * 100:.0f}"
        reasons.append(
            Reason("low_score", phrases["low_score"], {"count": facts.low_score, "threshold": threshold})
        )
    return reasons
