"""Breakdowns: computed in bulk as compact JSON when suggestions are written, rendered when read.

A full recompute writes up to millions of pairs; storing each pair's explanation in two languages
(~700 bytes a row) made writing the slowest step. So a stored breakdown is compact: a JSON list of
`[code, value]` (plus a whole percentage for the window and the quantity fit), e.g.
`[["S",0.35],["D",0.1234],["W",0.15,100],["Q",0.05,50]]`, about 60 bytes. `render` turns it back
into the explanation `explain` gives for the same pair, in French and English, when a suggestion
is displayed or returned by the API; `tests/unit/matching/test_breakdown.py` checks that
`render(compact(pair)) == explain(pair)` on random pairs. Both take their values from
`scoring.pair_components`, the one place where the score's formula lives.

Codes: S same subcategory, N close subcategory (a shared closeness group), s compatible
subcategory; D distance, R distance of a remote pair;
W availability window (+ percentage covered); Q quantity fit (+ percentage), I inexhaustible,
U quantity not specified; C past cooperation.

Phrases are English msgids translated through Flask-Babel at render time (`phrases.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from typing import Any

import numpy as np

from .arrays import Array, Listing, ListingArrays
from .config import MatchingConfig
from .phrases import part_message, part_words
from .scoring import Components, cooperation_keys, pair_components

CRITERIA = {
    "S": "subcategory",
    "s": "subcategory",
    "N": "subcategory",
    "D": "distance",
    "R": "distance",
    "W": "window",
    "Q": "quantity",
    "I": "quantity",
    "U": "quantity",
    "C": "cooperation",
}


def _stored_array(v: np.ndarray) -> Array:
    """Values rounded to 4 decimals, nudged by 1e-4 where rounding would change the 2-decimal text.

    The explanation shows each value with 2 decimals: rounding 0.125000001 to 0.125 would print
    +0.12 where `explain` prints +0.13. Moving the stored value one step towards the exact one
    keeps the printed digits identical, for an error of at most 1.5e-4 on `value`.
    """
    v = np.asarray(v, dtype=np.float64)
    r = np.round(v, 4)
    # Only values within a rounding step of a printed boundary (x.xx5) can change text.
    near = np.flatnonzero(np.abs(v * 100 - np.floor(v * 100) - 0.5) < 0.02)
    if near.size:
        differs = np.char.mod("%+.2f", r[near]) != np.char.mod("%+.2f", v[near])
        fix = near[differs]
        r[fix] = np.round(r[fix] + np.sign(v[fix] - r[fix]) * 1e-4, 4)
    return r


def _stored_values(v: np.ndarray) -> list[float]:
    return _stored_array(v).tolist()  # type: ignore[no-any-return]


def _pct(values: Array) -> Array:
    # The same text `explain` prints with "%.0f" (round half to even on the exact binary value).
    return np.rint(values).astype(np.int64)


def _stored_one(value: float) -> float:
    (stored,) = _stored_values(np.asarray([value]))
    return stored


# Texts of the values a breakdown stores, looked up rather than formatted one by one: a full
# recompute writes millions of them. A stored value is a multiple of 1e-4 (`_stored_array`);
# repr(k / 1e4) is its shortest text, the one `repr` gives the same float.
_STEPS = 10_000
_VALUE_TEXTS = np.asarray([repr(k / _STEPS) for k in range(_STEPS + 1)], dtype=object)
_PCT_MAX = 1000


def _value_texts(values: Array) -> Array:
    """repr of each of `_stored_array(values)`, as an object array."""
    stored = _stored_array(values)
    k = np.rint(stored * _STEPS)
    # Looked up only where the table's float is exactly this one (not -0.0, nan, or out of range).
    table = (k >= 0) & (k <= _STEPS) & (k / _STEPS == stored) & ~np.signbit(stored)
    out = _VALUE_TEXTS[np.where(table, k, 0).astype(np.intp)]
    if not table.all():
        out[~table] = [repr(v) for v in stored[~table].tolist()]
    return out  # type: ignore[no-any-return]


@cache
def _pct_texts(template: str) -> Array:
    # Built once per template: an incremental update explains a few rows, and building the
    # 1001 texts each time cost more than explaining them (0.3 ms a call).
    return np.asarray([template % p for p in range(_PCT_MAX + 1)], dtype=object)


def _with_pct(pct: Array, template: str) -> Array:
    """`template % p` for each whole percentage p, an object array (a table for 0…1000)."""
    texts = _pct_texts(template)
    inside = (pct >= 0) & (pct <= _PCT_MAX)
    out = texts[np.where(inside, pct, 0)]
    if not inside.all():
        out[~inside] = [template % p for p in pct[~inside].tolist()]
    return out  # type: ignore[no-any-return]


def compact_json(
    offers: ListingArrays,
    oi: Array,
    needs: ListingArrays,
    ni: Array,
    distance_km: Array,
    cfg: MatchingConfig,
    coop_keys: Array | None = None,
) -> list[str]:
    """Compact JSON breakdown of each pair (offers[oi[j]], needs[ni[j]]) at distance_km[j].

    Built column by column from looked-up texts and joined once per row: a million rows take a
    few tenths of a second. The text is `json.dumps(codes, separators=(",", ":"))`.
    """
    if oi.shape[0] == 0:
        return []
    parts = pair_components(offers, oi, needs, ni, distance_km, cfg, coop_keys)
    _sub, v_dist, v_win, v_qty, _coop = parts.weighted(cfg)
    w_same = _stored_one(cfg.weight_subcategory)
    w_wild = _stored_one(cfg.weight_subcategory * cfg.subcategory_wildcard_factor)
    w_close = _stored_one(cfg.weight_subcategory * cfg.subcategory_close_factor)
    # Same wins over close (never both: close codes differ); the distance's code follows.
    sub = np.asarray([f'[["S",{w_same!r}]', f'[["N",{w_close!r}]', f'[["s",{w_wild!r}]'], dtype=object)
    sub_code = np.where(parts.same_subcategory, 0, np.where(parts.close_subcategory, 1, 2))
    dist_code = np.asarray([',["D",', ',["R",'], dtype=object)[parts.remote.astype(np.intp)]
    window = _with_pct(_pct(parts.window * 100), ",%d],")
    qty_kind = np.where(parts.inexhaustible, 0, np.where(parts.quantity_unspecified, 1, 2))
    qty_code = np.asarray(['["I",', '["U",', '["Q",'], dtype=object)[qty_kind]
    qty_end = np.where(qty_kind == 2, _with_pct(_pct(parts.quantity * 100), ",%d]"), "]")
    coop_text = f',["C",{_stored_one(cfg.weight_cooperation)!r}]]'
    end = np.where(parts.cooperated, coop_text, "]").astype(object)
    columns = (
        sub[sub_code],
        dist_code,
        _value_texts(v_dist),
        repeat('],["W",'),
        _value_texts(v_win),
        window,
        qty_code,
        _value_texts(v_qty),
        qty_end,
        end,
    )
    return list(map("".join, zip(*columns, strict=False)))  # `repeat` is endless


@dataclass(frozen=True)
class Contribution:
    criterion: str
    value: float
    message_fr: str
    message_en: str


def _codes(parts: Components, cfg: MatchingConfig) -> list[tuple[str, float, str | None]]:
    """(code, value, percentage text or None) of the one pair in `parts`, exact values."""
    sub, dist, win, qty, coop = (float(v[0]) for v in parts.weighted(cfg))
    codes: list[tuple[str, float, str | None]] = [
        ("S" if parts.same_subcategory[0] else "N" if parts.close_subcategory[0] else "s", sub, None),
        ("R" if parts.remote[0] else "D", dist, None),
        ("W", win, f"{float(parts.window[0]) * 100:.0f}"),
    ]
    if parts.inexhaustible[0]:
        codes.append(("I", qty, None))
    elif parts.quantity_unspecified[0]:
        codes.append(("U", qty, None))
    else:
        codes.append(("Q", qty, f"{float(parts.quantity[0]) * 100:.0f}"))
    if parts.cooperated[0]:
        codes.append(("C", coop, None))
    return codes


def explain(
    offer_row: Listing | dict[str, Any],
    need_row: Listing | dict[str, Any],
    distance_km: float,
    cfg: MatchingConfig,
    cooperated: bool = False,
) -> list[Contribution]:
    """Breakdown of one pair's score; the values sum to the score of `pair_scores` (to 1e-12).

    The pair is assumed to pass the hard filters.
    """
    offers, needs = ListingArrays.from_rows([offer_row]), ListingArrays.from_rows([need_row])
    keys = cooperation_keys([(int(offers.territory[0]), int(needs.territory[0]))]) if cooperated else None
    zero = np.zeros(1, dtype=np.int64)
    km = float(distance_km)
    parts = pair_components(offers, zero, needs, zero, np.asarray([km]), cfg, keys)
    return [
        Contribution(
            CRITERIA[code],
            value,
            part_message(code, value, extra, km, "fr"),
            part_message(code, value, extra, km, "en"),
        )
        for code, value, extra in _codes(parts, cfg)
    ]


def render(stored: Any, distance_km: float, lang: str = "fr") -> list[dict[str, Any]]:
    """The human breakdown of a stored one: [{criterion, value, points, label, message, message_fr, …}].

    `message` is in `lang` ("fr" or "en"); `label` is its words alone and `points` the value out
    of 100, the unit in which pages show the score, so that a card's parts add up to its score.
    Accepts a compact list, its JSON text, or the former verbose format (a list of dicts with both
    messages), so rows written before stay readable.
    """
    if isinstance(stored, str | bytes):
        stored = json.loads(stored)
    out = []
    for part in stored or ():
        if isinstance(part, dict):
            fr, en = part.get("message_fr", ""), part.get("message_en", "")
            criterion, value = part.get("criterion"), part.get("value")
            label = en if lang == "en" else fr
        else:
            code, value, *extra = part
            pct = None if not extra or extra[0] is None else str(extra[0])
            fr = part_message(code, float(value), pct, float(distance_km), "fr")
            en = part_message(code, float(value), pct, float(distance_km), "en")
            label = part_words(code, pct, float(distance_km), lang)
            criterion = CRITERIA.get(code, code)
        message = en if lang == "en" else fr
        points = round(float(value or 0) * 100, 1)
        out.append(
            {
                "criterion": criterion,
                "value": value,
                "points": points,
                "label": label,
                "message": message,
                "message_fr": fr,
                "message_en": en,
            }
        )
    return out
