"""Closeness groups of subcategories and default radii per category, in the pure matching core."""

import numpy as np
import pytest

from mutualisation.listings.categories import taxonomy
from mutualisation.matching.breakdown import explain
from mutualisation.matching.candidates import brute_force_top_k, top_k_for_needs, top_k_for_offers
from mutualisation.matching.closeness import default_codes, group_masks, subcategory_codes
from mutualisation.matching.rows import Subcategories
from mutualisation.matching.scoring import NEED, OFFER, Listing, ListingArrays, MatchingConfig, pair_scores

from .builders import make_network

CODES = default_codes()
CFG = MatchingConfig()
# Subcategories 1-3 share a group, 3 and 4 another one; 5 and 6 are alone.
GROUPED = MatchingConfig(subcategory_groups={1: 0b01, 2: 0b01, 3: 0b11, 4: 0b10}, min_score=0.0, top_k=5)


def pair(offer_sub: int, need_sub: int, cfg=CFG, category="equipment", km_apart=0.0, **need):
    offer = Listing(1, OFFER, category, offer_sub, owner=1, territory=1, lat=50.0, lon=2.0)
    need_row = Listing(
        2, NEED, category, need_sub, owner=2, territory=2, lat=50.0 + km_apart / 111.2, lon=2.0
    )
    need_row = Listing(**{**need_row.__dict__, **need})
    offers, needs = ListingArrays.from_rows([offer]), ListingArrays.from_rows([need_row])
    zero = np.zeros(1, dtype=np.int64)
    score, valid = pair_scores(offers, zero, needs, zero, np.asarray([km_apart]), cfg)
    return float(score[0]), bool(valid[0])


def test_the_taxonomy_codes_are_fixed_and_shared_with_the_rows_coder():
    tax = taxonomy()
    assert subcategory_codes(tax) == dict(CODES)
    subs = Subcategories()
    assert subs("event_stage") == CODES["event_stage"]
    assert subs("other") == 0 and subs(None) == 0
    assert subs("renamed_since") == max(CODES.values()) + 1


def test_a_podium_and_a_mobile_stage_are_close_but_a_podium_and_a_wood_chipper_are_not():
    stage, tents, chipper = CODES["event_stage"], CODES["event_tents"], CODES["green_chipper"]
    assert bool(CFG.close(stage, tents))
    assert not bool(CFG.close(stage, chipper))
    assert not bool(CFG.close(stage, stage))  # the same subcategory is exact, not close
    assert not bool(CFG.close(stage, 0))  # the wildcard is in no group
    assert tents in CFG.close_to(stage) and chipper not in CFG.close_to(stage)


def test_group_masks_put_a_subcategory_of_two_groups_in_both():
    masks = group_masks(taxonomy(), CODES)
    sound, stage = CODES["event_sound_lighting"], CODES["event_stage"]
    assert masks[sound] & masks[stage]
    assert bin(masks[sound]).count("1") == 2


def test_a_close_subcategory_matches_and_scores_below_the_same_one():
    stage, tents, chipper = CODES["event_stage"], CODES["event_tents"], CODES["green_chipper"]
    exact, exact_ok = pair(stage, stage)
    close, close_ok = pair(stage, tents)
    _, unrelated_ok = pair(stage, chipper)
    assert exact_ok and close_ok and not unrelated_ok
    assert close < exact
    assert close == pytest.approx(exact - CFG.weight_subcategory * (1 - CFG.subcategory_close_factor))


def test_without_groups_close_subcategories_are_incompatible():
    cfg = MatchingConfig(subcategory_groups={})
    assert not pair(CODES["event_stage"], CODES["event_tents"], cfg)[1]


def test_the_breakdown_names_a_close_subcategory():
    stage, tents = CODES["event_stage"], CODES["event_tents"]
    offer = Listing(1, OFFER, "equipment", stage, 1, 1, 50.0, 2.0)
    need = Listing(2, NEED, "equipment", tents, 2, 2, 50.0, 2.0)
    first = explain(offer, need, 0.0, CFG)[0]
    assert first.criterion == "subcategory"
    assert first.message_en.startswith("close subcategory")
    assert first.value == pytest.approx(CFG.weight_subcategory * CFG.subcategory_close_factor)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("size", [40, 800])
def test_top_k_equals_brute_force_with_closeness_groups(seed, size):
    offers, needs = make_network(seed, size, size)
    rng = np.random.default_rng(seed + 10)
    offers.subcategory[:] = rng.integers(0, 7, len(offers))
    needs.subcategory[:] = rng.integers(0, 7, len(needs))
    coop = [(1, 2), (3, 5)]
    brute = brute_force_top_k(offers, needs, GROUPED, cooperations=coop)
    engine = top_k_for_needs(offers, needs, GROUPED, cooperations=coop)
    np.testing.assert_array_equal(engine.ids, brute.ids)
    np.testing.assert_array_equal(engine.scores, brute.scores)
    by_offer = top_k_for_offers(offers, needs, GROUPED, cooperations=coop)
    brute_offer = brute_force_top_k(offers, needs, GROUPED, cooperations=coop, query_kind=OFFER)
    np.testing.assert_array_equal(by_offer.ids, brute_offer.ids)
    np.testing.assert_array_equal(by_offer.scores, brute_offer.scores)


def test_the_default_radius_depends_on_the_category():
    assert CFG.radius_for("equipment") < CFG.radius_for("service") < CFG.radius_for("know_how")
    sub = CODES["event_stage"]
    assert not pair(sub, sub, category="equipment", km_apart=200.0)[1]
    know_how = CODES[taxonomy().subcategories("know_how")[0].code]
    assert pair(know_how, know_how, category="know_how", km_apart=200.0)[1]


def test_an_explicit_radius_overrides_the_category_default():
    sub = CODES["event_stage"]
    # The need accepts 300 km, but the offer still imposes the equipment default.
    assert not pair(sub, sub, km_apart=200.0, max_distance_km=300.0)[1]
    cfg = MatchingConfig(default_radius_km={"equipment": 250.0})
    assert pair(sub, sub, cfg, km_apart=200.0)[1]


def test_a_category_missing_from_the_radius_table_uses_the_fallback():
    cfg = MatchingConfig.from_mapping({"default_radius_km": {"equipment": 50.0}})
    assert cfg.radius_for("equipment") == 50.0
    assert cfg.radius_for("service") == CFG.radius_for("service")  # merged over the defaults
    assert MatchingConfig(default_radius_km={}).radius_for("skill") == CFG.default_max_distance_km


def test_a_negative_default_radius_is_refused():
    with pytest.raises(ValueError, match=r"default_radius_km\.equipment"):
        MatchingConfig(default_radius_km={"equipment": -1.0})
