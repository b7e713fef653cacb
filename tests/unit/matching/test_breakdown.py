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
