import math

import numpy as np
import pytest

from mutualisation.geo import great_circle_km
from mutualisation.matching.breakdown import explain
from mutualisation.matching.scoring import (
    NEED,
    OFFER,
    Listing,
    ListingArrays,
    MatchingConfig,
    cooperation_keys,
    pair_scores,
)

from .builders import make_network

CFG = MatchingConfig()


def make_offer(**changes) -> Listing:
    base = dict(
        id=1, kind=OFFER, category="equipment", subcategory=3, owner=10, territory=100, lat=48.85, lon=2.35
    )
    return Listing(**{**base, **changes})


def make_need(**changes) -> Listing:
    base = dict(
        id=2, kind=NEED, category="equipment", subcategory=3, owner=20, territory=200, lat=48.95, lon=2.45
    )
    return Listing(**{**base, **changes})


def score_one(offer: Listing, need: Listing, cfg=CFG, coop=()):
    offers, needs = ListingArrays.from_rows([offer]), ListingArrays.from_rows([need])
    d = great_circle_km(offers.lat, offers.lon, needs.lat, needs.lon)
    zero = np.zeros(1, dtype=np.int64)
    score, valid = pair_scores(offers, zero, needs, zero, d, cfg, cooperation_keys(coop))
    return float(score[0]), bool(valid[0]), float(d[0])


def test_a_plain_nearby_pair_is_accepted():
    assert score_one(make_offer(), make_need())[1]


@pytest.mark.parametrize(
    ("offer", "need"),
    [
        (make_offer(category="service"), make_need()),
        (make_offer(subcategory=4), make_need()),
        (make_offer(available_until=738000), make_need(available_from=738001)),
        (make_offer(quantity=2), make_need(quantity=3)),
        (make_offer(max_distance_km=5), make_need()),
        (make_offer(), make_need(max_distance_km=5)),
        (make_offer(lat=43.3, lon=5.37), make_need()),  # beyond the default radius
        (make_offer(owner=7), make_need(owner=7)),
        (make_offer(lat=math.nan), make_need()),
        (make_offer(), make_need(lon=math.nan)),
        (make_offer(remote_possible=True, lat=43.3, lon=5.37), make_need()),  # only one side accepts remote
    ],
    ids=[
        "category",
        "subcategory",
        "window",
        "quantity",
        "offer-radius",
        "need-radius",
        "default-radius",
        "same-owner",
        "offer-no-coordinates",
        "need-no-coordinates",
        "remote-on-one-side-only",
    ],
)
def test_each_hard_filter_refuses_its_pair(offer, need):
    assert not score_one(offer, need)[1]


@pytest.mark.parametrize(
    ("offer", "need"),
    [
        (make_offer(subcategory=0), make_need()),
        (make_offer(), make_need(subcategory=0)),
        (make_offer(available_until=738000), make_need(available_from=738000)),
        (make_offer(available_from=738000), make_need()),
        (make_offer(quantity=3), make_need(quantity=3)),
        (make_offer(quantity=1, inexhaustible=True), make_need(quantity=3)),
        (make_offer(), make_need(quantity=3)),
        (make_offer(max_distance_km=20), make_need(max_distance_km=20)),
        (make_offer(max_distance_km=0, lat=48.95, lon=2.45), make_need(max_distance_km=0)),
        (make_offer(remote_possible=True, lat=43.3, lon=5.37), make_need(remote_possible=True)),
    ],
    ids=[
        "offer-other-subcategory",
        "need-other-subcategory",
        "windows-touch",
        "open-window",
        "quantity-met",
        "inexhaustible",
        "quantity-unspecified",
        "both-radii",
        "zero-radius-same-point",
        "remote-on-both-sides",
    ],
)
def test_each_hard_filter_accepts_its_pair(offer, need):
    assert score_one(offer, need)[1]


def test_breakdown_sums_to_the_score_and_reads_in_both_languages():
    offer = make_offer(quantity=4, available_from=738000, available_until=738100)
    need = make_need(quantity=3, available_from=738050, available_until=738149)
    score, valid, d = score_one(offer, need, coop=[(100, 200)])
    parts = explain(offer, need, d, CFG, cooperated=True)
    assert valid and 0.0 <= score <= 1.0
    assert math.isclose(sum(p.value for p in parts), score, abs_tol=1e-12)
    assert [p.criterion for p in parts] == ["subcategory", "distance", "window", "quantity", "cooperation"]
    assert parts[0].message_fr == "même sous-catégorie +0,35"
    assert parts[0].message_en == "same subcategory +0.35"
    assert parts[1].message_fr.startswith("13 km +0,")
    assert "51\u00a0%" in parts[2].message_fr and "51%" in parts[2].message_en


def test_vectorised_scores_equal_explain_on_random_pairs():
    offers, needs = make_network(3, 300, 300, categories=("know_how",), remote=0.5)
    rng = np.random.default_rng(0)
    oi, ni = rng.integers(0, 300, 20000), rng.integers(0, 300, 20000)
    d = great_circle_km(offers.lat[oi], offers.lon[oi], needs.lat[ni], needs.lon[ni])
    coop_pairs = [
        (int(offers.territory[i]), int(needs.territory[j])) for i, j in zip(oi[:50], ni[:50], strict=True)
    ]
    keys = cooperation_keys(coop_pairs)
    score, valid = pair_scores(offers, oi, needs, ni, d, CFG, keys)
    checked = 0
    for j in np.flatnonzero(valid):
        o, n = offers.row(int(oi[j])), needs.row(int(ni[j]))
        coop = (min(o.territory, n.territory), max(o.territory, n.territory)) in {
            (min(a, b), max(a, b)) for a, b in coop_pairs
        }
        total = sum(p.value for p in explain(o, n, float(d[j]), CFG, cooperated=coop))
        assert abs(total - score[j]) <= 1e-12
        checked += 1
    assert checked > 100


def test_same_category_pairs_score_the_same_with_or_without_a_given_decay():
    offers, needs = make_network(4, 200, 200, categories=("skill",))
    idx = np.arange(200)
    d = great_circle_km(offers.lat, offers.lon, needs.lat, needs.lon)
    a, va = pair_scores(offers, idx, needs, idx, d, CFG)
    b, vb = pair_scores(offers, idx, needs, idx, d, CFG, decay_km=CFG.decay_for("skill"))
    assert np.array_equal(va, vb) and np.array_equal(a[va], b[vb])


def test_config_from_mapping_refuses_unknown_keys_with_their_names():
    with pytest.raises(ValueError, match=r"unknown matching setting.*weight_colour"):
        MatchingConfig.from_mapping({"weight_colour": 0.1})


@pytest.mark.parametrize(
    "values",
    [
        {"weight_distance": 1.5},
        {"weight_distance": 0.9},  # the weights would sum above 1
        {"top_k": 0},
        {"default_max_distance_km": -1},
        {"decay_km": {"equipment": 0}},
        {"min_score": "high"},
    ],
)
def test_config_from_mapping_validates_values(values):
    with pytest.raises(ValueError, match=r"invalid matching configuration|decay_km"):
        MatchingConfig.from_mapping(values)


def test_config_matching_section_loads_into_the_defaults():
    import tomllib
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "config" / "default.toml"
    cfg = MatchingConfig.from_mapping(tomllib.loads(path.read_text(encoding="utf-8"))["matching"])
    assert cfg == MatchingConfig()
    assert (
        cfg.decay_for("know_how")
        > cfg.decay_for("skill")
        > cfg.decay_for("service")
        > cfg.decay_for("equipment")
    )


def test_rows_build_listing_columns_from_tuples_and_dicts():
    import datetime as dt

    rows = [
        (1, "offer", "skill", None, 5, 6, 48.0, 2.0, dt.date(2026, 1, 1), None, None, True, True, None),
        {
            "id": 2,
            "kind": NEED,
            "category": "skill",
            "subcategory": 2,
            "owner": 7,
            "territory": 8,
            "lat": 45.0,
            "lon": 4.0,
        },
    ]
    arrays = ListingArrays.from_rows(rows)
    assert arrays.id.tolist() == [1, 2] and arrays.kind.tolist() == [OFFER, NEED]
    assert arrays.subcategory.tolist() == [0, 2]
    assert arrays.available_from[0] == dt.date(2026, 1, 1).toordinal() and math.isnan(
        arrays.available_until[0]
    )
    assert arrays.remote_possible.tolist() == [True, False]
    assert len(ListingArrays.from_rows([])) == 0
