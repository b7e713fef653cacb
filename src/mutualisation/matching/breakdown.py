"""Breakdowns: computed in bulk as compact JSON when suggestions are written, rendered when read.

A full recompute writes up to millions of pairs; storing each pair's explanation in two languages
(~700 bytes a row) made writing the slowest step. So a stored breakdown is compact: a JSON list of
`[code, value]` (plus a whole percentage for the window and the quantity fit), e.g.
`[["S",0.35],["D",0.1234],["W",0.15,100],["Q",0.05,50]]`, about 60 bytes. `render` turns it back
into the explanation `scoring.explain` gives for the same pair, in French and English, when a
suggestion is displayed or returned by the API; `tests/unit/matching/test_breakdown.py` checks that
`render(compact(pair)) == explain(pair)` on random pairs.

Codes: S same subcategory, s compatible subcategory; D distance, R distance of a remote pair;
W availability window (+ percentage covered); Q quantity fit (+ percentage), I inexhaustible,
U quantity not specified; C past cooperation.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .scoring import NO_SUBCATEGORY, ListingArrays, MatchingConfig, cooperated

CRITERIA = {
    "S": "subcategory",
    "s": "subcategory",
    "D": "distance",
    "R": "distance",
    "W": "window",
    "Q": "quantity",
    "I": "quantity",
    "U": "quantity",
    "C": "cooperation",
}


def _en(v: float) -> str:
    return f"{v:+.2f}"


def _fr(v: float) -> str:
    return _en(v).replace(".", ",").replace("-", "−")


def _stored_values(v: np.ndarray) -> list[float]:
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
    return r.tolist()


def _pct(values: np.ndarray) -> list[int]:
    # The same text `explain` prints with "%.0f" (round half to even on the exact binary value).
    return np.rint(values).astype(np.int64).tolist()


def compact_json(
    offers: ListingArrays,
    oi: np.ndarray,
    needs: ListingArrays,
    ni: np.ndarray,
    distance_km: np.ndarray,
    cfg: MatchingConfig,
    coop_keys: np.ndarray | None = None,
) -> list[str]:
    """Compact JSON breakdown of each pair (offers[oi[j]], needs[ni[j]]) at distance_km[j]."""
    n = oi.shape[0]
    if n == 0:
        return []
    d = np.asarray(distance_km, dtype=np.float64)
    o_sub, n_sub = offers.subcategory[oi], needs.subcategory[ni]
    same = (o_sub == n_sub) & (o_sub != NO_SUBCATEGORY)

    remote = offers.remote_possible[oi] & needs.remote_possible[ni]
    cats, code = np.unique(offers.category[oi], return_inverse=True)
    scale = np.asarray([cfg.decay_for(str(c)) for c in cats], dtype=np.float64)[code.ravel()]
    scale = np.where(remote, cfg.remote_decay_km, scale)
    v_dist = cfg.weight_distance * np.exp(-d / scale)

    po, pn = offers.derived, needs.derived
    of, ou, nf, nu = po.window_lo[oi], po.window_hi[oi], pn.window_lo[ni], pn.window_hi[ni]
    covers = (of <= nf) & (ou >= nu)
    bounded = np.isfinite(nf) & np.isfinite(nu)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        share = np.where(
            covers,
            1.0,
            np.where(
                bounded,
                (np.fmin(ou, nu) - np.fmax(of, nf) + 1.0) / (nu - nf + 1.0),
                cfg.window_open_partial_factor,
            ),
        )
    v_win = cfg.weight_window * share

    oq, nq = offers.quantity[oi], needs.quantity[ni]
    inex = offers.inexhaustible[oi]
    unspecified = np.isnan(oq) | np.isnan(nq)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(oq > 0, nq / oq, 1.0)
    fit = np.where(inex, 1.0, np.where(unspecified, cfg.quantity_unspecified_factor, ratio))
    v_qty = cfg.weight_quantity * fit
    coop = cooperated(offers.territory[oi], needs.territory[ni], coop_keys)

    (w_same,) = _stored_values(np.asarray([cfg.weight_subcategory]))
    (w_wild,) = _stored_values(np.asarray([cfg.weight_subcategory * cfg.subcategory_wildcard_factor]))
    (w_coop,) = _stored_values(np.asarray([cfg.weight_cooperation]))
    sub_text = {True: f'[["S",{w_same!r}]', False: f'[["s",{w_wild!r}]'}
    coop_text = f',["C",{w_coop!r}]]'
    # Column by column, then one concatenation per row: a million rows take about a second.
    sub_col = [sub_text[x] for x in same.tolist()]
    dist_col = [
        f',["R",{v!r}]' if r else f',["D",{v!r}]'
        for r, v in zip(remote.tolist(), _stored_values(v_dist), strict=True)
    ]
    win_col = [f',["W",{v!r},{p}],' for v, p in zip(_stored_values(v_win), _pct(share * 100), strict=True)]
    qty_col = [
        f'["I",{v!r}]' if i else f'["U",{v!r}]' if u else f'["Q",{v!r},{p}]'
        for i, u, v, p in zip(
            inex.tolist(), unspecified.tolist(), _stored_values(v_qty), _pct(fit * 100), strict=True
        )
    ]
    end_col = [coop_text if c else "]" for c in coop.tolist()]
    out = [
        a + b + c + d + e for a, b, c, d, e in zip(sub_col, dist_col, win_col, qty_col, end_col, strict=True)
    ]
    return out


def _messages(code: str, value: float, extra: Any, distance_km: float) -> tuple[str, str]:
    """(French, English) explanation of one compact part — the words of `scoring.explain`."""
    if code in ("S", "s"):
        fr, en = (
            ("même sous-catégorie", "same subcategory")
            if code == "S"
            else ("sous-catégorie compatible", "compatible subcategory")
        )
    elif code in ("D", "R"):
        km = f"{distance_km:.0f} km" if distance_km >= 1 else "< 1 km"
        fr, en = (f"{km} (à distance)", f"{km} (remote)") if code == "R" else (km, km)
    elif code == "W":
        fr, en = f"disponibilité couverte à {extra} %", f"availability {extra}% covered"
    elif code == "Q":
        fr, en = f"quantité ajustée à {extra} %", f"quantity fit {extra}%"
    elif code == "I":
        fr, en = "ressource inépuisable", "inexhaustible resource"
    elif code == "U":
        fr, en = "quantité non précisée", "quantity not specified"
    else:
        fr, en = "territoires ayant déjà coopéré", "territories already cooperated"
    return f"{fr} {_fr(value)}", f"{en} {_en(value)}"


def render(stored: Any, distance_km: float, lang: str = "fr") -> list[dict[str, Any]]:
    """The human breakdown of a stored one: [{criterion, value, message, message_fr, message_en}].

    `message` is in `lang` ("fr" or "en"). Accepts a compact list, its JSON text, or the former
    verbose format (a list of dicts with both messages), so rows written before stay readable.
    """
    if isinstance(stored, str | bytes):
        stored = json.loads(stored)
    out = []
    for part in stored or ():
        if isinstance(part, dict):
            fr, en = part.get("message_fr", ""), part.get("message_en", "")
            criterion, value = part.get("criterion"), part.get("value")
        else:
            code, value, *extra = part
            fr, en = _messages(code, float(value), extra[0] if extra else None, float(distance_km))
            criterion = CRITERIA.get(code, code)
        out.append(
            {
                "criterion": criterion,
                "value": value,
                "message": en if lang == "en" else fr,
                "message_fr": fr,
                "message_en": en,
            }
        )
    return out
