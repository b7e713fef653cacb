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
    v_dist_l, v_win_l, v_qty_l = v_dist.tolist(), v_win.tolist(), v_qty.tolist()
    # Number formatting runs in numpy's C loops; each row then costs one string concatenation.
    vd_en, vw_en, vq_en = (np.char.mod("%+.2f", v).tolist() for v in (v_dist, v_win, v_qty))
    vd_fr, vw_fr, vq_fr = (
        [t.replace(".", ",").replace("-", "−") for t in texts] for texts in (vd_en, vw_en, vq_en)
    )
    km_text = np.where(d >= 1, np.char.add(np.char.mod("%.0f", d), " km"), "< 1 km").tolist()
    pct = np.char.mod("%.0f", share * 100).tolist()
    fit_pct = np.char.mod("%.0f", fit * 100).tolist()
    out = []
    for j, (same_j, rem, inex_j, uns_j, co) in enumerate(
        zip(same.tolist(), remote.tolist(), inex.tolist(), unspecified.tolist(), coop.tolist(), strict=True)
    ):
        far_fr, far_en = (" (à distance)", " (remote)") if rem else ("", "")
        if inex_j:
            fr, en = "ressource inépuisable", "inexhaustible resource"
        elif uns_j:
            fr, en = "quantité non précisée", "quantity not specified"
        else:
            fr, en = f"quantité ajustée à {fit_pct[j]} %", f"quantity fit {fit_pct[j]}%"
        parts = [
            sub_parts[same_j],
            f'{{"criterion": "distance", "value": {v_dist_l[j]!r}, '
            f'"message_fr": "{km_text[j]}{far_fr} {vd_fr[j]}", '
            f'"message_en": "{km_text[j]}{far_en} {vd_en[j]}"}}',
            f'{{"criterion": "window", "value": {v_win_l[j]!r}, '
            f'"message_fr": "disponibilité couverte à {pct[j]} % {vw_fr[j]}", '
            f'"message_en": "availability {pct[j]}% covered {vw_en[j]}"}}',
            f'{{"criterion": "quantity", "value": {v_qty_l[j]!r}, '
            f'"message_fr": "{fr} {vq_fr[j]}", "message_en": "{en} {vq_en[j]}"}}',
        ]
        if co:
            parts.append(coop_part)
        out.append("[" + ", ".join(parts) + "]")
    return out
