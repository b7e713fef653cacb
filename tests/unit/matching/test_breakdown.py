"""The compact breakdown, rendered, says exactly what `scoring.explain` says, pair by pair."""

from __future__ import annotations

import dataclasses
import json
import math
import random

import numpy as np
import pytest

from mutualisation.matching.breakdown import compact_json, explain, render
from mutualisation.matching.scoring import (
    ListingArrays,
    MatchingConfig,
    cooperated,
    cooperation_keys,
    pair_distance_km,
)


def random_rows(rng: random.Random, n: int, kind: str, start: int):
    rows = []
    for i in range(n):
        day = 739000 + rng.randrange(100)
        rows.append(
            {
                "id": start + i,
                "kind": kind,
                "category": rng.choice(["equipment", "skill", "know_how"]),
                "subcategory": rng.choice([0, 1, 2]),
                "owner": rng.randrange(5),
                "territory": rng.randrange(4),
                "lat": 45 + rng.random() * 4,
                "lon": rng.random() * 4,
                "available_from": rng.choice([math.nan, day]),
                "available_until": rng.choice([math.nan, day + rng.randrange(1, 60)]),
                "quantity": rng.choice([math.nan, 0.0, 1.0, 3.0, 7.0]),
                "inexhaustible": rng.random() < 0.3,
                "remote_possible": rng.random() < 0.3,
                "max_distance_km": math.nan,
            }
        )
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rendered_compact_breakdown_equals_explain(seed):
    rng = random.Random(seed)
    offer_rows, need_rows = random_rows(rng, 30, "offer", 1), random_rows(rng, 30, "need", 100)
    offers, needs = ListingArrays.from_rows(offer_rows), ListingArrays.from_rows(need_rows)
    cfg = MatchingConfig()
    keys = cooperation_keys([(0, 1), (2, 3)])
    oi = np.asarray([rng.randrange(30) for _ in range(200)])
    ni = np.asarray([rng.randrange(30) for _ in range(200)])
    # The breakdown describes same-category pairs: give each need its offer's category.
    needs = dataclasses.replace(needs, category=needs.category.copy())
    needs.category[ni] = offers.category[oi]
    km = pair_distance_km(offers, oi, needs, ni)
    texts = compact_json(offers, oi, needs, ni, km, cfg, keys)
    for j, text in enumerate(texts):
        coop = bool(cooperated([offers.territory[oi[j]]], [needs.territory[ni[j]]], keys)[0])
        expected = explain(offers.row(int(oi[j])), needs.row(int(ni[j])), float(km[j]), cfg, coop)
        assert len(text) < 120
        for lang in ("fr", "en"):
            got = render(json.loads(text), float(km[j]), lang)
            assert [p["criterion"] for p in got] == [c.criterion for c in expected]
            assert [p["message_fr"] for p in got] == [c.message_fr for c in expected]
            assert [p["message_en"] for p in got] == [c.message_en for c in expected]
            assert [p["message"] for p in got] == [getattr(c, f"message_{lang}") for c in expected]
            assert [p["value"] for p in got] == pytest.approx([c.value for c in expected], abs=1.5e-4)


def test_stored_values_keep_the_printed_digits_at_rounding_boundaries():
    from mutualisation.matching.breakdown import _stored_values

    values = np.asarray([0.125000001, 0.124999999, 0.135, 0.0049999, 0.34999996, 0.35])
    stored = _stored_values(values)
    assert [f"{v:+.2f}" for v in stored] == [f"{v:+.2f}" for v in values]
    assert stored == pytest.approx(values.tolist(), abs=1.5e-4)


def test_render_reads_the_former_verbose_format_and_the_json_text():
    verbose = [
        {"criterion": "distance", "value": 0.2, "message_fr": "12 km +0,20", "message_en": "12 km +0.20"}
    ]
    assert render(verbose, 12.0, "en")[0]["message"] == "12 km +0.20"
    assert render('[["R",0.3,null]]', 0.4, "fr")[0]["message"] == "< 1 km (à distance) +0,30"
    assert render(None, 1.0) == []


def _reference_compact(offers, oi, needs, ni, km, cfg, keys):
    """The compact breakdown as `json.dumps` of each pair's codes, one pair at a time."""
    from mutualisation.matching.breakdown import _pct, _stored_one
    from mutualisation.matching.scoring import pair_components

    out = []
    for j in range(len(oi)):
        parts = pair_components(offers, oi[j : j + 1], needs, ni[j : j + 1], km[j : j + 1], cfg, keys)
        _sub, dist, win, qty, _coop = (float(v[0]) for v in parts.weighted(cfg))
        if parts.same_subcategory[0]:
            sub = ["S", _stored_one(cfg.weight_subcategory)]
        elif parts.close_subcategory[0]:
            sub = ["N", _stored_one(cfg.weight_subcategory * cfg.subcategory_close_factor)]
        else:
            sub = ["s", _stored_one(cfg.weight_subcategory * cfg.subcategory_wildcard_factor)]
        codes = [sub, ["R" if parts.remote[0] else "D", _stored_one(dist)]]
        codes.append(["W", _stored_one(win), int(_pct(parts.window * 100)[0])])
        if parts.inexhaustible[0]:
            codes.append(["I", _stored_one(qty)])
        elif parts.quantity_unspecified[0]:
            codes.append(["U", _stored_one(qty)])
        else:
            codes.append(["Q", _stored_one(qty), int(_pct(parts.quantity * 100)[0])])
        if parts.cooperated[0]:
            codes.append(["C", _stored_one(cfg.weight_cooperation)])
        out.append(json.dumps(codes, separators=(",", ":")))
    return out


@pytest.mark.parametrize("seed", [4, 5])
def test_compact_json_built_by_columns_is_the_json_of_each_pairs_codes(seed):
    rng = random.Random(seed)
    offer_rows, need_rows = random_rows(rng, 40, "offer", 1), random_rows(rng, 40, "need", 100)
    offers, needs = ListingArrays.from_rows(offer_rows), ListingArrays.from_rows(need_rows)
    oi = np.asarray([rng.randrange(40) for _ in range(300)])
    ni = np.asarray([rng.randrange(40) for _ in range(300)])
    needs = dataclasses.replace(needs, category=needs.category.copy())
    needs.category[ni] = offers.category[oi]
    km = pair_distance_km(offers, oi, needs, ni)
    keys = cooperation_keys([(0, 1), (2, 3)])
    # Custom weights too: values off the usual grid, a close-subcategory weight, no cooperation bonus.
    for cfg in (MatchingConfig(), MatchingConfig(weight_distance=0.3333, weight_cooperation=0.0)):
        got = compact_json(offers, oi, needs, ni, km, cfg, keys)
        assert got == _reference_compact(offers, oi, needs, ni, km, cfg, keys)
        assert {text[3] for text in got} <= {"S", "N", "s"} and any('["C",' in t for t in got)


def test_value_texts_are_the_reprs_of_the_stored_values_even_off_the_table():
    from mutualisation.matching.breakdown import _stored_values, _value_texts

    values = np.asarray(
        [0.0, -0.0, -1e-9, 1e-5, 0.0001, 0.1, 0.125000001, 0.35, 0.99995, 1.0, 1.00004, 2.5, -0.25, math.nan]
    )
    assert _value_texts(values).tolist() == [repr(v) for v in _stored_values(values)]
