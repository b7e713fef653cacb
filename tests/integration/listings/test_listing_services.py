from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from geopy.distance import great_circle
from sqlalchemy import select

from mutualisation.audit.models import AuditEvent
from mutualisation.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, RuleViolation
from mutualisation.listings import hooks, services
from mutualisation.listings.models import Listing, ListingEvent
from mutualisation.territories.geocoding import GeocodedPoint, GeocodingUnavailable
from tests.builders import make_listing, make_territory, make_user

NEED = {
    "kind": "need",
    "category": "equipment",
    "subcategory": "green_chipper",
    "title": "Broyeur de végétaux au printemps",
    "description": "Pour broyer les tailles de haies.",
}


class FakeGeocoder:
    def __init__(self, point=None, fail=False):
        self.point, self.fail, self.calls = point, fail, []

    def geocode(self, address):
        self.calls.append(address)
        if self.fail:
            raise GeocodingUnavailable("offline")
        return self.point


def count(session, model):
    return len(session.scalars(select(model)).all())


def test_a_technician_creates_a_draft_at_the_territory_point_with_an_event_and_an_audit(session):
    user = make_user(session, "technician", "76402")
    listing = services.create(session, user, NEED)
    assert listing.status == "draft" and listing.territory_id == user.territory_id
    assert (listing.latitude, listing.longitude) == (user.territory.latitude, user.territory.longitude)
    assert listing.location_source == "territory"
    assert "broyeur de vegetaux" in listing.search_text
    events = session.scalars(select(ListingEvent).where(ListingEvent.listing_id == listing.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "draft")]
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "listing.created")) is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"category": "unknown"}, "category"),
        ({"subcategory": "composting"}, "subcategory"),
        ({"available_from": date(2026, 6, 1), "available_until": date(2026, 5, 1)}, "available_until"),
        ({"quantity": -2}, "quantity"),
        ({"max_distance_km": 1500}, "max_distance_km"),
        ({"latitude": 100.0, "longitude": 2.0}, "latitude"),
        ({"latitude": 52.52, "longitude": 13.40}, "latitude"),
        ({"description": "é" * 5001}, "description"),
    ],
)
def test_bad_input_raises_a_field_error_and_saves_nothing(session, changes, field):
    user = make_user(session, "technician", "76402")
    with pytest.raises(RuleViolation) as err:
        services.create(session, user, NEED | changes)
    assert field in err.value.fields
    assert count(session, Listing) == 0


def test_an_address_is_geocoded_through_the_injected_geocoder(session):
    user = make_user(session, "actor", "76402")
    geocoder = FakeGeocoder(GeocodedPoint(49.53, 1.05, "Rue de la Ferme, Malaunay"))
    listing = services.create(
        session, user, NEED | {"address": "Rue de la Ferme, Malaunay"}, geocoder=geocoder
    )
    assert geocoder.calls == ["Rue de la Ferme, Malaunay"]
    assert (listing.latitude, listing.longitude, listing.location_source) == (49.53, 1.05, "address")
    assert listing.warnings == []


def test_an_unreachable_geocoder_keeps_the_territory_point_and_warns(session):
    user = make_user(session, "actor", "76402")
    listing = services.create(session, user, NEED | {"address": "1 rue X"}, geocoder=FakeGeocoder(fail=True))
    assert listing.location_source == "territory" and listing.latitude == user.territory.latitude
    assert listing.address == "1 rue X"
    assert listing.warnings and "cannot be reached" in listing.warnings[0]


def test_a_geocoded_point_outside_france_is_not_used(session):
    user = make_user(session, "actor", "76402")
    geocoder = FakeGeocoder(GeocodedPoint(40.4, -3.7, "Madrid"))
    listing = services.create(session, user, NEED | {"address": "Madrid"}, geocoder=geocoder)
    assert listing.location_source == "territory" and listing.warnings


def test_publish_withdraw_and_renew_follow_the_lifecycle_and_tell_the_hooks(session):
    seen = []

    def follower(_session, listing_id, change):
        seen.append((listing_id, change))

    hooks.follow(session, follower)
    user = make_user(session, "technician", "76402")
    listing = services.create(session, user, NEED)
    services.publish(session, user, listing.id)
    assert listing.status == "published" and listing.published_at is not None
    with pytest.raises(InvalidTransition):
        services.publish(session, user, listing.id)
    with pytest.raises(RuleViolation):
        services.withdraw(session, user, listing.id, None)
    services.withdraw(session, user, listing.id, "other", "Prêté par la commune voisine")
    assert listing.status == "withdrawn"
    assert listing.withdrawal_reason == "other: Prêté par la commune voisine"
    assert [c for _i, c in seen] == ["created", "published", "withdrawn"]


def test_an_expired_listing_can_be_renewed(session):
    user = make_user(session, "technician", "76402")
    listing = make_listing(
        session, user, status="published", available_until=date.today() - timedelta(days=1)
    )
    from mutualisation.listings.expiry import expire_listings

    assert expire_listings(session, datetime.now(UTC)) == 1
    assert listing.status == "expired"
    services.renew(session, user, listing.id, date.today() + timedelta(days=30))
    assert listing.status == "published" and listing.available_until > date.today()


def test_reserve_and_fulfil_for_agreements(session):
    user = make_user(session, "technician", "76402")
    one_off = make_listing(session, user)
    know_how = make_listing(
        session, user, category="know_how", subcategory="energy_cooperative", inexhaustible=True
    )
    services.reserve(session, one_off.id)
    assert one_off.status == "reserved"
    services.fulfil(session, one_off.id)
    assert one_off.status == "fulfilled"
    services.reserve(session, know_how.id)
    services.fulfil(session, know_how.id)
    assert know_how.status == "published"


def test_reserve_inside_the_callers_transaction_queues_the_hook_until_run_pending(session):
    seen = []
    hooks.follow(session, lambda _s, i, c: seen.append(c))
    user = make_user(session, "technician", "76402")
    listing = make_listing(session, user)
    services.reserve(session, listing.id, commit=False)
    assert seen == []
    session.commit()
    hooks.run_pending(session)
    assert seen == ["reserved"]


def test_a_stale_version_is_a_conflict(session):
    user = make_user(session, "technician", "76402")
    listing = services.create(session, user, NEED)
    services.update(session, user, listing.id, {"title": "Broyeur (bis)"}, version=listing.version)
    with pytest.raises(Conflict):
        services.update(session, user, listing.id, {"title": "Autre"}, version=listing.version - 1)
    assert listing.title == "Broyeur (bis)"


def test_a_technician_cannot_manage_another_territorys_listing(session):
    owner = make_user(session, "technician", "76402")
    other = make_user(session, "technician", "62528")
    listing = make_listing(session, owner)
    with pytest.raises(PermissionDenied):
        services.update(session, other, listing.id, {"title": "x"}, version=listing.version)
    with pytest.raises(PermissionDenied):
        services.withdraw(session, other, listing.id, "no_longer_available")


def test_a_colleague_manages_the_territorys_listing_but_not_an_actors(session):
    owner = make_user(session, "technician", "76402")
    official = make_user(session, "official", "76402")
    actor = make_user(session, "actor", "76402")
    staff_listing = make_listing(session, owner)
    actor_listing = make_listing(session, actor)
    services.withdraw(session, official, staff_listing.id, "exchanged_elsewhere")
    with pytest.raises(PermissionDenied):
        services.withdraw(session, official, actor_listing.id, "exchanged_elsewhere")


def test_an_actor_cannot_edit_another_actors_listing(session):
    actor = make_user(session, "actor", "76402")
    other = make_user(session, "actor", "76402")
    listing = make_listing(session, actor)
    with pytest.raises(PermissionDenied):
        services.update(session, other, listing.id, {"title": "x"}, version=listing.version)


def test_drafts_are_hidden_from_other_users(session):
    owner = make_user(session, "actor", "76402")
    other = make_user(session, "technician", "62528")
    draft = make_listing(session, owner, status="draft")
    assert services.get_listing(session, owner, draft.id) is draft
    with pytest.raises(NotFound):
        services.get_listing(session, other, draft.id)
    assert services.browse(session, other, services.Filters()).total == 0


def test_duplicate_makes_a_new_draft(session):
    user = make_user(session, "technician", "76402")
    listing = make_listing(session, user, status="withdrawn", subcategory="green_chipper")
    copy = services.duplicate(session, user, listing.id)
    assert copy.id != listing.id and copy.status == "draft" and copy.title == listing.title


def test_filters_sorting_and_pagination(session):
    user = make_user(session, "technician", "76402")
    for i in range(5):
        make_listing(session, user, title=f"Offre {i}")
    make_listing(session, user, kind="need", title="Besoin de podium", subcategory="event_stage")
    make_listing(session, user, category="service", subcategory="composting", title="Compostage")
    filters = services.Filters(kind="offer", category="equipment")
    first = services.browse(session, user, filters, page=1, per_page=2)
    second = services.browse(session, user, filters, page=3, per_page=2)
    assert first.total == 5 and [i.title for i in first.items] == ["Offre 4", "Offre 3"]
    assert [i.title for i in second.items] == ["Offre 0"]
    assert services.browse(session, user, services.Filters(q="PODIUM")).items[0].title == "Besoin de podium"
    assert services.browse(session, user, services.Filters(subcategory="composting")).total == 1


def test_radius_results_match_geopy_great_circle(session):
    loos = make_user(session, "technician", "62528")
    synthe = make_user(session, "technician", "59271")
    malaunay = make_user(session, "technician", "76402")
    mene = make_user(session, "technician", "22046")
    for user in (loos, synthe, malaunay, mene):
        make_listing(session, user, title=f"Chez {user.territory.name}")
    result = services.browse(session, loos, services.Filters(near="62528", radius_km=200, sort="nearest"))
    origin = (loos.territory.latitude, loos.territory.longitude)
    expected = {
        u.territory.name: great_circle(origin, (u.territory.latitude, u.territory.longitude)).km
        for u in (loos, synthe, malaunay, mene)
    }
    names = [item.territory.name for item in result.items]
    assert names == [n for n, d in sorted(expected.items(), key=lambda kv: kv[1]) if d <= 200]
    for item in result.items:
        assert result.distances[item.id] == pytest.approx(expected[item.territory.name], abs=0.05)
    wide = services.browse(session, loos, services.Filters(near="62528", radius_km=1000))
    assert wide.total == 4


def test_an_unknown_reference_territory_is_a_field_error(session):
    user = make_user(session, "technician", "76402")
    make_territory(session, "76402")
    from mutualisation.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        services.browse(session, user, services.Filters(near="99999"))
    assert "near" in err.value.fields


def test_editing_the_title_keeps_a_listing_at_its_territory_point(session):
    user = make_user(session, "technician", "76402")
    listing = services.create(session, user, NEED)
    services.update(session, user, listing.id, {"title": "Broyeur (bis)"}, version=listing.version)
    assert listing.location_source == "territory"
    services.update(session, user, listing.id, {"latitude": 49.6, "longitude": 1.1}, version=listing.version)
    assert (listing.location_source, listing.latitude) == ("coordinates", 49.6)
    services.update(session, user, listing.id, {"title": "Broyeur (ter)"}, version=listing.version)
    assert (listing.location_source, listing.latitude) == ("coordinates", 49.6)


def test_the_word_index_follows_title_changes(session):
    user = make_user(session, "technician", "76402")
    listing = services.create(session, user, NEED)
    assert services.browse(session, user, services.Filters(q="broy", status="draft")).total == 1
    services.update(session, user, listing.id, {"title": "Tondeuse autoportée"}, version=listing.version)
    assert services.browse(session, user, services.Filters(q="tondeuse", status="draft")).total == 1
    assert services.browse(session, user, services.Filters(q="printemps", status="draft")).total == 0


@pytest.mark.parametrize("per_page", [7, 50])
def test_newest_within_a_radius_equals_measuring_every_listing(session, per_page):
    # Listings scattered over the inner square, the ring around it and beyond the radius, with
    # some exactly on the square's edges: the split count and page must not notice the seams.
    from mutualisation.listings.placement import distances_km, inner_box

    owner = make_user(session, "technician", "59271")
    loos = make_user(session, "technician", "62528")
    lat0, lon0 = loos.territory.latitude, loos.territory.longitude
    rng = np.random.default_rng(12)
    box = inner_box(lat0, lon0, 40.0)
    points = [(lat0 + rng.normal(0, 0.3), lon0 + rng.normal(0, 0.45)) for _ in range(160)]
    points += [(box[0], lon0), (box[1], box[3]), (lat0, box[2]), (box[1], box[2])]
    for lat, lon in points:
        make_listing(session, owner, latitude=lat, longitude=lon)
    make_listing(session, owner, latitude=lat0, longitude=lon0, status="draft")  # never counted
    listings = session.scalars(select(Listing).where(Listing.status == "published")).all()
    km = distances_km(
        lat0, lon0, np.asarray([x.latitude for x in listings]), np.asarray([x.longitude for x in listings])
    )
    inside = sorted((x.id for x, d in zip(listings, km, strict=True) if d <= 40.0), reverse=True)
    assert 20 < len(inside) < len(listings)
    for page in range(1, len(inside) // per_page + 2):
        found = services.browse(
            session, loos, services.Filters(near="62528", radius_km=40), page=page, per_page=per_page
        )
        assert found.total == len(inside)
        assert [item.id for item in found.items] == inside[(page - 1) * per_page : page * per_page]
        for item in found.items:
            expected = float(
                distances_km(lat0, lon0, np.asarray([item.latitude]), np.asarray([item.longitude]))[0]
            )
            assert found.distances[item.id] == round(expected, 1)
