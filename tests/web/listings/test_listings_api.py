from __future__ import annotations

import pytest
from sqlalchemy import select

from mutualisation.accounts.services import create_token
from mutualisation.listings.models import Listing
from tests.builders import make_listing, make_territory, make_user

NEED = {
    "kind": "need",
    "category": "equipment",
    "subcategory": "green_chipper",
    "title": "Broyeur de végétaux",
    "description": "Au printemps",
}


def bearer(session, user):
    _token, clear = create_token(session, user, "tests")
    session.commit()
    return {"Authorization": f"Bearer {clear}"}


def test_categories_give_the_tree_with_french_and_english_labels(client):
    tree = client.get("/api/v1/categories").get_json()
    equipment = next(c for c in tree if c["code"] == "equipment")
    assert equipment["label_fr"] == "Matériel" and equipment["label_en"] == "Equipment"
    chipper = next(s for s in equipment["subcategories"] if s["code"] == "green_chipper")
    assert chipper["label_fr"] == "Broyeur de végétaux"


def test_a_logged_out_visitor_reads_only_the_public_list_through_the_api(client, session):
    listing = make_listing(session, make_user(session))
    for path in (f"/api/v1/listings/{listing.id}", "/api/v1/listings/map"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    # Issue 14: the list is public, without owners (see tests/web/test_welcome_api.py).
    assert "owner" not in client.get("/api/v1/listings").get_json()["items"][0]
    assert client.post("/api/v1/listings", json={}).status_code == 401


def test_create_publish_read_and_list_through_the_api(client, session):
    user = make_user(session, "technician", "76402")
    make_territory(session, "62528")
    headers = bearer(session, user)
    created = client.post("/api/v1/listings", json=NEED, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "draft" and body["territory"] == "76402" and body["owner"]["id"] == user.id
    assert "email" not in body["owner"]
    published = client.post(f"/api/v1/listings/{body['id']}/publish", headers=headers)
    assert published.get_json()["status"] == "published"
    page = client.get(
        "/api/v1/listings?near=62528&radius_km=300&category=equipment", headers=headers
    ).get_json()
    assert page["total"] == 1 and page["items"][0]["distance_km"] > 100
    assert set(page) == {"items", "page", "per_page", "total"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"category": "unknown"}, "category"),
        ({"subcategory": "composting"}, "subcategory"),
        ({"available_from": "2026-06-01", "available_until": "2026-05-01"}, "available_until"),
        ({"quantity": -1}, "quantity"),
        ({"max_distance_km": 1200}, "max_distance_km"),
        ({"latitude": 91, "longitude": 2}, "latitude"),
        ({"latitude": 40.4, "longitude": -3.7}, "latitude"),
        ({"description": "x" * 5001}, "description"),
        ({"kind": "gift"}, "kind"),
        ({"quantity": "a lot"}, "quantity"),
    ],
)
def test_bad_input_through_the_api_is_a_422_with_field_messages_and_saves_nothing(
    client, session, changes, field
):
    user = make_user(session, "technician", "76402")
    response = client.post("/api/v1/listings", json=NEED | changes, headers=bearer(session, user))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert session.scalar(select(Listing.id)) is None


def test_patch_with_a_stale_version_is_a_409(client, session):
    user = make_user(session, "technician", "76402")
    headers = bearer(session, user)
    listing = client.post("/api/v1/listings", json=NEED, headers=headers).get_json()
    first = client.patch(
        f"/api/v1/listings/{listing['id']}",
        json={"title": "Nouveau", "version": listing["version"]},
        headers=headers,
    )
    assert first.status_code == 200 and first.get_json()["version"] == listing["version"] + 1
    stale = client.patch(
        f"/api/v1/listings/{listing['id']}",
        json={"title": "Autre", "version": listing["version"]},
        headers=headers,
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"


def test_patch_without_version_is_a_422(client, session):
    user = make_user(session, "technician", "76402")
    listing = make_listing(session, user)
    response = client.patch(
        f"/api/v1/listings/{listing.id}", json={"title": "x"}, headers=bearer(session, user)
    )
    assert response.status_code == 422 and "version" in response.get_json()["error"]["fields"]


def test_a_technician_cannot_edit_or_withdraw_another_territorys_listing_through_the_api(client, session):
    listing = make_listing(session, make_user(session, "technician", "76402"))
    headers = bearer(session, make_user(session, "technician", "62528"))
    patch = client.patch(f"/api/v1/listings/{listing.id}", json={"title": "x", "version": 1}, headers=headers)
    withdraw = client.post(
        f"/api/v1/listings/{listing.id}/withdraw", json={"reason": "no_longer_available"}, headers=headers
    )
    assert patch.status_code == 403 and withdraw.status_code == 403
    assert withdraw.get_json()["error"]["code"] == "forbidden"


def test_withdraw_needs_a_reason_from_the_list(client, session):
    user = make_user(session, "actor", "76402")
    listing = make_listing(session, user)
    headers = bearer(session, user)
    assert client.post(f"/api/v1/listings/{listing.id}/withdraw", json={}, headers=headers).status_code == 422
    bad = client.post(f"/api/v1/listings/{listing.id}/withdraw", json={"reason": "other"}, headers=headers)
    assert bad.status_code == 422 and "reason_text" in bad.get_json()["error"]["fields"]
    ok = client.post(
        f"/api/v1/listings/{listing.id}/withdraw", json={"reason": "exchanged_elsewhere"}, headers=headers
    )
    assert ok.get_json()["status"] == "withdrawn"


def test_an_unknown_listing_is_a_404_json(client, session):
    headers = bearer(session, make_user(session))
    response = client.get("/api/v1/listings/999999", headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_another_users_draft_is_a_404(client, session):
    draft = make_listing(session, make_user(session, "actor", "76402"), status="draft")
    headers = bearer(session, make_user(session, "actor", "76402"))
    assert client.get(f"/api/v1/listings/{draft.id}", headers=headers).status_code == 404


def test_bad_query_parameters_are_a_422(client, session):
    headers = bearer(session, make_user(session))
    assert client.get("/api/v1/listings?radius_km=5000", headers=headers).status_code == 422
    assert client.get("/api/v1/listings?per_page=101", headers=headers).status_code == 422
    assert client.get("/api/v1/listings?near=00000", headers=headers).status_code == 422
    assert client.get("/api/v1/listings?sort=random", headers=headers).status_code == 422


def test_a_text_search_comes_most_relevant_first_and_other_orders_stay_available(client, session):
    user = make_user(session, "technician", "76402")
    best = make_listing(session, user, title="Broyeur", description="Broyeur thermique, broyeur de végétaux.")
    other = make_listing(
        session, user, title="Remorque", description="Transporte aussi un broyeur de jardin."
    )
    headers = bearer(session, user)

    def ids(query):
        response = client.get(f"/api/v1/listings?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("q=broyeurs") == ids("q=broyeurs&sort=relevance") == [best.id, other.id]
    assert ids("q=broyeurs&sort=newest") == [other.id, best.id]
    assert ids("sort=relevance") == [other.id, best.id]  # no word to rank by: the newest first
    refused = client.get("/api/v1/listings?sort=pertinence", headers=headers)
    assert refused.status_code == 422 and "sort" in refused.get_json()["error"]["fields"]


def test_the_map_endpoint_gives_compact_points(client, session):
    user = make_user(session, "technician", "76402")
    make_listing(session, user)
    make_listing(session, user, kind="need")
    data = client.get("/api/v1/listings/map", headers=bearer(session, user)).get_json()
    assert data["total"] == 2 and not data["truncated"]
    assert set(data["items"][0]) == {"id", "kind", "category", "title", "lat", "lon"}


def test_the_openapi_document_describes_the_listing_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/listings", "/api/v1/listings/{listing_id}", "/api/v1/categories"} <= set(paths)


def test_a_listing_sent_with_its_documented_territory_and_status_fields_is_accepted(client, session):
    """API.md lists `territory` (INSEE code) and `status` among a listing's fields: a client that
    sends them back gets its listing, published at once when it asks for `published`."""
    user = make_user(session, "technician", "76402")
    headers = bearer(session, user)
    created = client.post(
        "/api/v1/listings", json=NEED | {"territory": "76402", "status": "published"}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["territory"] == "76402" and body["status"] == "published"
    draft = client.post("/api/v1/listings", json=NEED | {"status": "draft"}, headers=headers)
    assert draft.get_json()["status"] == "draft"
    patched = client.patch(
        f"/api/v1/listings/{body['id']}",
        json={"version": body["version"], "territory": "76402", "title": "Broyeur"},
        headers=headers,
    )
    assert patched.status_code == 200 and patched.get_json()["title"] == "Broyeur"


def test_another_territory_or_status_is_a_422_naming_the_field_and_saves_nothing(client, session):
    user = make_user(session, "technician", "76402")
    make_territory(session, "62528")
    headers = bearer(session, user)
    before = session.scalar(select(Listing.id).order_by(Listing.id.desc()).limit(1))
    for extra, field in (({"territory": "62528"}, "territory"), ({"status": "withdrawn"}, "status")):
        response = client.post(
            "/api/v1/listings", json=NEED | extra, headers=headers | {"Accept-Language": "fr"}
        )
        assert response.status_code == 422, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"]
    own_territory_only = "Une annonce appartient au territoire du compte qui la publie."
    refused = client.post("/api/v1/listings", json=NEED | {"territory": "62528"}, headers=headers)
    assert refused.get_json()["error"]["fields"]["territory"] == [own_territory_only]
    assert session.scalar(select(Listing.id).order_by(Listing.id.desc()).limit(1)) == before
    listing = make_listing(session, user)
    moved = client.patch(
        f"/api/v1/listings/{listing.id}",
        json={"version": listing.version, "territory": "62528"},
        headers=headers,
    )
    assert moved.status_code == 422 and "territory" in moved.get_json()["error"]["fields"]
    french = moved.get_json()["error"]["fields"]["territory"][0]
    assert "territoire" in french, french
