"""Breakdowns of many pairs at once, as ready-to-store JSON text.

`scoring.explain` describes one pair with scalar arithmetic; a full recompute writes up to millions
of pairs, where calling it (and serialising its result) per pair would dominate the run. This module
computes the same contributions with numpy and formats each row's JSON with plain string templates.
`tests/unit/matching/test_breakdown.py` checks it against `explain` on random pairs.
"""

from __future__ import annotations

import numpy as np

from .scoring import NO_SUBCATEGORY, ListingArrays, MatchingConfig, cooperated


def _en(v: float) -> str:
    return f"{v:+.2f}"


def _fr(v: float) -> str:
    return _en(v).replace(".", ",").replace("-", "−")


def _part(criterion: str, value: float, fr: str, en: str) -> str:
    # The messages are built here from digits and fixed words: no quote or backslash to escape.
    return f'{{"criterion": "{criterion}", "value": {value!r}, "message_fr": "{fr}", "message_en": "{en}"}}'


def breakdown_json(
    offers: ListingArrays,
    oi: np.ndarray,
    needs: ListingArrays,
    ni: np.ndarray,
    distance_km: np.ndarray,
    cfg: MatchingConfig,
    coop_keys: np.ndarray | None = None,
) -> list[str]:
    """JSON list of contributions (criterion, value, message_fr, message_en) for each pair."""
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

    sub_parts = {
        True: _part(
            "subcategory",
            cfg.weight_subcategory,
            f"même sous-catégorie {_fr(cfg.weight_subcategory)}",
            f"same subcategory {_en(cfg.weight_subcategory)}",
        ),
        False: _part(
            "subcategory",
            cfg.weight_subcategory * cfg.subcategory_wildcard_factor,
            f"sous-catégorie compatible {_fr(cfg.weight_subcategory * cfg.subcategory_wildcard_factor)}",
            f"compatible subcategory {_en(cfg.weight_subcategory * cfg.subcategory_wildcard_factor)}",
        ),
    }
    coop_part = _part(
        "cooperation",
        cfg.weight_cooperation,
        f"territoires ayant déjà coopéré {_fr(cfg.weight_cooperation)}",
        f"territories already cooperated {_en(cfg.weight_cooperation)}",
    )
    out = []
    for same_i, km, vd, rem, sh, vw, inex_i, uns_i, ft, vq, co in zip(
        same.tolist(),
        d.tolist(),
        v_dist.tolist(),
        remote.tolist(),
        share.tolist(),
        v_win.tolist(),
        inex.tolist(),
        unspecified.tolist(),
        fit.tolist(),
        v_qty.tolist(),
        coop.tolist(),
        strict=True,
    ):
        km_text = f"{km:.0f} km" if km >= 1 else "< 1 km"
        dist = _part(
            "distance",
            vd,
            f"{km_text}{' (à distance)' if rem else ''} {_fr(vd)}",
            f"{km_text}{' (remote)' if rem else ''} {_en(vd)}",
        )
        pct = f"{sh * 100:.0f}"
        win = _part(
            "window",
            vw,
            f"disponibilité couverte à {pct} % {_fr(vw)}",
            f"availability {pct}% covered {_en(vw)}",
        )
        if inex_i:
            fr, en = "ressource inépuisable", "inexhaustible resource"
        elif uns_i:
            fr, en = "quantité non précisée", "quantity not specified"
        else:
            fr, en = f"quantité ajustée à {ft * 100:.0f} %", f"quantity fit {ft * 100:.0f}%"
        qty = _part("quantity", vq, f"{fr} {_fr(vq)}", f"{en} {_en(vq)}")
        parts = [sub_parts[same_i], dist, win, qty]
        if co:
            parts.append(coop_part)
        out.append("[" + ", ".join(parts) + "]")
    return out
