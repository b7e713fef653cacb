"""Saved searches' pure rules: which filters are kept, and whether a listing meets them."""

from __future__ import annotations

from mutualisation.listings.alert_rules import (
    ListingFacts,
    default_label,
    kept_filters,
    meets_structured_filters,
    same_search,
)


def test_only_set_known_filters_are_kept_trimmed_and_normalised():
    kept = kept_filters({"q": "  nacelles ", "near": " 76402 ", "radius_km": "150", "kind": "", "page": 2})
    assert kept == {"q": "nacelles", "near": "76402", "radius_km": 150.0}


def test_a_listing_meets_the_structured_filters_within_the_radius():
    listing = ListingFacts("offer", "equipment", "vehicle_machinery", distance_km=120.0)
    assert meets_structured_filters({"kind": "offer", "category": "equipment"}, listing)
    assert not meets_structured_filters({"kind": "need"}, listing)
    assert not meets_structured_filters({"subcategory": "green_chipper"}, listing)
    assert meets_structured_filters({"near": "76402", "radius_km": 150.0}, listing)
    assert not meets_structured_filters({"near": "76402"}, listing)  # the default radius is 50 km
    assert not meets_structured_filters({"near": "76402"}, ListingFacts("offer", "equipment", None))


def test_the_default_label_reads_like_the_filters():
    names = {"equipment": "Matériel", "76402": "Malaunay"}
    label = default_label(
        {"q": "nacelles", "category": "equipment", "near": "76402", "radius_km": 150.0}, names
    )
    assert label == "«\u00a0nacelles\u00a0» · Matériel · Malaunay (150 km)"


def test_two_filters_are_the_same_search_when_they_find_the_same_listings():
    saved = {"q": "Nacelles  élévatrices", "near": "76402"}
    assert same_search(saved, {"q": "nacelles elevatrices", "near": "76402", "radius_km": 50.0})
    assert not same_search(saved, {"q": "nacelles", "near": "76402"})
    assert not same_search(saved, {"q": "nacelles elevatrices", "near": "76402", "radius_km": 60})
    assert not same_search(saved, {"q": "nacelles elevatrices", "near": "76402", "kind": "offer"})
    assert same_search({"category": "equipment"}, {"category": "equipment"})


def test_a_text_with_no_word_to_look_for_is_no_filter():
    assert kept_filters({"q": " de la ! ", "kind": "offer"}) == {"kind": "offer"}
    assert kept_filters({"q": "de la"}) == {}
