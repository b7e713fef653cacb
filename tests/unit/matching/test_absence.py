"""Explaining a listing without suggestions (pure), and the facilitator's rates."""

import math

import pytest

from mutualisation.geo import Km
from mutualisation.matching.absence import absence_facts, explain_absence
from mutualisation.matching.closeness import default_codes
from mutualisation.matching.rates import rate_rows, top_reasons
from mutualisation.matching.scoring import NEED, OFFER, Listing, ListingArrays, MatchingConfig

CFG = MatchingConfig()
STAGE, TENTS, CHIPPER = (default_codes()[c] for c in ("event_stage", "event_tents", "green_chipper"))
KM_PER_DEGREE = 111.195  # along a meridian, on the sphere the engine uses


def need(**changes) -> ListingArrays:
    row = Listing(1, NEED, "equipment", STAGE, owner=1, territory=1, lat=50.0, lon=2.0)
    return ListingArrays.from_rows([Listing(**{**row.__dict__, **changes})])


def offers(*rows: dict) -> ListingArrays:
    built = []
    for i, changes in enumerate(rows, start=10):
        km = changes.pop("km", 0.0)
        base = Listing(
            i, OFFER, "equipment", STAGE, owner=i, territory=i, lat=50.0 + km / KM_PER_DEGREE, lon=2.0
        )
        built.append(Listing(**{**base.__dict__, **changes}))
    return ListingArrays.from_rows(built)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def test_compatible_offers_beyond_the_radius_are_counted_with_the_nearest_and_a_round_widening():
    facts = absence_facts(need(), offers({"km": 140.0, "max_distance_km": 300.0}, {"km": 260.0}), CFG)
    assert facts.beyond_radius == 2
    assert facts.nearest_beyond_km == pytest.approx(140.0, abs=0.5)
    assert facts.radius_km == CFG.radius_for("equipment") == 100.0
    assert facts.widen_to_km == 150.0  # 140 km rounded up to the next 10 km
    (reason,) = explain_absence(facts, CFG)
    assert reason.code == "beyond"
    assert reason.params == {"count": 2, "radius": 100.0, "nearest": pytest.approx(140.0, abs=0.5)}
    assert all(isinstance(reason.params[p], Km) for p in ("radius", "nearest"))  # formatted where read
    singular, plural = reason.msgid  # a plural message: the form follows the count
    assert plural.startswith("%(count)s compatible offers beyond your radius of %(radius)s")
    assert singular.startswith("%(count)s compatible offer beyond your radius of %(radius)s")


@pytest.mark.parametrize("counterpart", ["offer", "need"])
def test_a_reader_who_does_not_manage_the_listing_is_never_addressed_as_its_owner(counterpart):
    """Every reason either side can give, read by a peer: none says "your"; the owner's version keeps it
    where it addressed the owner."""
    facts = absence_facts(need(), offers({"km": 140.0, "max_distance_km": 300.0}), CFG)
    everything = type(facts)(
        **{
            **facts.__dict__,
            "counterpart_kind": counterpart,
            "own": 1,
            "subcategory": 1,
            "window": 1,
            "quantity": 1,
            "low_score": 1,
        }
    )
    for manager in (True, False):
        reasons = explain_absence(everything, CFG, manager=manager)
        assert codes(reasons) == ["beyond", "subcategory", "window", "quantity", "own", "low_score"]
        texts = [" ".join(r.msgid) for r in reasons]
        assert any("your" in t for t in texts) is manager
        if not manager:
            assert all(
                f"this {'need' if counterpart == 'offer' else 'offer'}" in t for t in texts[:1] + texts[2:5]
            )


def test_when_the_offers_own_radius_is_the_limit_widening_ours_is_not_proposed():
    facts = absence_facts(need(max_distance_km=50.0), offers({"km": 140.0}), CFG)  # the offer keeps 100 km
    assert facts.beyond_radius == 1 and facts.widen_to_km is None
    assert codes(explain_absence(facts, CFG)) == ["beyond_theirs"]


def test_each_counterpart_is_charged_to_the_first_filter_it_fails():
    facts = absence_facts(
        need(available_from=738100.0, available_until=738110.0, quantity=5.0),
        offers(
            {"subcategory": CHIPPER},  # unrelated subcategory (and too far: counted once, first)
            {"subcategory": TENTS, "available_from": 738200.0},  # close subcategory, wrong dates
            {"quantity": 2.0},  # too few
            {"owner": 1},  # the need's own owner
            {"km": 30.0},  # a match
        ),
        CFG,
    )
    assert (facts.own, facts.subcategory, facts.window, facts.quantity) == (1, 1, 1, 1)
    assert facts.beyond_radius == 0
    reasons = codes(explain_absence(facts, CFG))
    assert reasons == ["subcategory", "window", "quantity", "own"]


def test_reserved_counterparts_that_would_match_are_counted_apart():
    reserved = offers({"km": 30.0}, {"km": 20.0, "subcategory": CHIPPER})  # the chipper fits nowhere
    facts = absence_facts(need(), offers({"km": 140.0, "max_distance_km": 300.0}), CFG, reserved)
    assert facts.reserved == 1
    assert codes(explain_absence(facts, CFG)) == ["beyond", "reserved"]


def test_with_no_published_counterpart_a_reserved_one_is_the_reason_not_an_empty_category():
    facts = absence_facts(need(), offers(), CFG, offers({"km": 30.0}))
    for manager in (True, False):
        (reason,) = explain_absence(facts, CFG, manager=manager)
        assert reason.code == "reserved" and reason.params == {"count": 1}
        assert reason.msgid[0] == "%(count)s compatible offer is reserved for an agreement under way."


def test_a_close_subcategory_is_not_counted_as_unrelated():
    facts = absence_facts(need(), offers({"subcategory": TENTS, "km": 500.0, "max_distance_km": 900.0}), CFG)
    assert facts.subcategory == 0 and facts.beyond_radius == 1


def test_no_counterpart_at_all_says_so_for_the_right_kind():
    (reason,) = explain_absence(absence_facts(need(), offers(), CFG), CFG)
    assert reason.code == "none" and "offer" in reason.msgid
    offer = ListingArrays.from_rows([Listing(1, OFFER, "equipment", STAGE, 1, 1, 50.0, 2.0)])
    empty = ListingArrays.from_rows([])
    (reason,) = explain_absence(absence_facts(offer, empty, CFG), CFG)
    assert "need" in reason.msgid


def test_a_listing_without_coordinates_is_told_to_get_a_location():
    facts = absence_facts(need(lat=math.nan), offers({}), CFG)
    assert codes(explain_absence(facts, CFG)) == ["not_located"]


def test_pairs_below_the_minimum_score_are_explained():
    cfg = MatchingConfig(min_score=0.99)
    facts = absence_facts(need(), offers({"km": 50.0}), cfg)
    assert facts.low_score == 1
    (reason,) = explain_absence(facts, cfg)
    assert reason.code == "low_score" and reason.params["threshold"] == "99"


def test_rates_group_statuses_per_month_and_key_latest_month_first():
    rows = rate_rows(
        [
            ("2026-10", "equipment", "accepted", 1),
            ("2026-10", "equipment", "dismissed", 1),
            ("2026-10", "equipment", "active", 2),
            ("2026-11", "skill", "active", 3),
            ("2026-11", "equipment", "dismissed", 1),
        ]
    )
    assert [(r.month, r.key) for r in rows] == [
        ("2026-11", "equipment"),
        ("2026-11", "skill"),
        ("2026-10", "equipment"),
    ]
    october = rows[2]
    assert (october.total, october.accepted, october.dismissed) == (4, 1, 1)
    assert october.accepted_rate == 0.25 and october.dismissed_rate == 0.25
    assert rows[1].accepted_rate == 0.0


def test_top_reasons_are_the_most_frequent_ones_given():
    counts = {"too_far": 3, "wrong_item": 0, "other": 1, "dates_dont_fit": 3}
    assert top_reasons(counts) == [("dates_dont_fit", 3), ("too_far", 3), ("other", 1)]
    assert top_reasons(counts, limit=1) == [("dates_dont_fit", 3)]
