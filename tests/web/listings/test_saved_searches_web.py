"""Saved searches (alerts) through their doors, issue 12: the JSON API (`/api/v1/alerts`) and
the pages (save from the browse page, list, delete), with real HTTP on both databases."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import select

from mutualisation.accounts.services import create_token
from mutualisation.listings.models import SavedSearch
from mutualisation.notifications.models import Notification
from tests.builders import csrf_token, login, make_listing, make_territory, make_user

NACELLE = {
    "kind": "offer",
    "category": "equipment",
    "subcategory": "vehicle_machinery",
    "title": "Nacelle élévatrice",
    "publish": True,
}


def bearer(session, user) -> dict:
    _token, clear = create_token(session, user, "test")
    return {"Authorization": f"Bearer {clear}"}


def test_the_api_saves_lists_and_deletes_a_search(client, session):
    user = make_user(session, "technician", "62528")
    make_territory(session, "76402")
    headers = bearer(session, user)
    created = client.post(
        "/api/v1/alerts", json={"q": "nacelles", "near": "76402", "radius_km": 150}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["filters"] == {"q": "nacelles", "near": "76402", "radius_km": 150.0}
    assert body["label"] and body["last_notified_at"] is None
    again = client.post(
        "/api/v1/alerts", json={"q": "Nacelles", "near": "76402", "radius_km": 150}, headers=headers
    )
    assert again.status_code == 201 and again.get_json()["id"] == body["id"]  # saved already: nothing new
    listed = client.get("/api/v1/alerts", headers=headers).get_json()
    assert listed["total"] == 1 and [a["id"] for a in listed["items"]] == [body["id"]]
    assert client.delete(f"/api/v1/alerts/{body['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/alerts", headers=headers).get_json()["total"] == 0


def test_the_api_refuses_bad_filters_with_field_messages_and_never_a_500(client, session):
    headers = bearer(session, make_user(session))
    cases = [
        ({}, "q"),
        ({"kind": "gift"}, "kind"),
        ({"near": "99999"}, "near"),
        ({"radius_km": "far"}, "radius_km"),
        ({"q": "x", "radius_km": 30}, "radius_km"),
        ({"q": "x", "colour": "red"}, "colour"),
    ]
    for data, field in cases:
        response = client.post("/api/v1/alerts", json=data, headers=headers)
        assert response.status_code == 422, (data, response.get_json())
        assert field in response.get_json()["error"]["fields"], data
        # In the reader's language, the validation library's own messages included.
        said = str(response.get_json()["error"]["fields"][field])
        assert not re.search(r"Not a valid|Must be|Unknown field", said), said
    assert client.post("/api/v1/alerts", data="not json", headers=headers).status_code in (400, 415, 422)


def test_only_the_owner_deletes_a_search_others_get_404(client, session):
    owner, other = make_user(session), make_user(session)
    created = client.post("/api/v1/alerts", json={"q": "podium"}, headers=bearer(session, owner)).get_json()
    assert client.delete(f"/api/v1/alerts/{created['id']}", headers=bearer(session, other)).status_code == 404
    assert client.get("/api/v1/alerts", headers=bearer(session, other)).get_json()["total"] == 0
    assert session.get(SavedSearch, created["id"]) is not None


def test_the_api_wants_a_caller_and_refuses_cookie_writes(client, session):
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.post("/api/v1/alerts", json={"q": "x"}).status_code == 401
    login(client, make_user(session))
    assert client.post("/api/v1/alerts", json={"q": "x"}).status_code == 401  # writes need a token


def test_publishing_through_the_api_tells_the_seeker_in_french(client, session):
    seeker, author = make_user(session, "technician", "62528"), make_user(session, "technician", "76402")
    client.post("/api/v1/alerts", json={"q": "nacelles"}, headers=bearer(session, seeker))
    published = client.post("/api/v1/listings", json=NACELLE, headers=bearer(session, author))
    assert published.status_code == 201, published.get_json()
    notices = session.scalars(select(Notification).where(Notification.recipient_id == seeker.id)).all()
    assert [n.kind for n in notices] == ["listing.alert"]
    # The label quotes its own words (« nacelles »): the subject does not quote them again.
    assert notices[0].subject == "Nouvelle annonce pour votre recherche\u00a0: «\u00a0nacelles\u00a0»"
    # The listing's title is no subject of "publiée": the sentence names the listing.
    assert notices[0].body == f"L’annonce «\u00a0{NACELLE['title']}\u00a0» vient d’être publiée."
    assert session.scalars(select(Notification).where(Notification.recipient_id == author.id)).all() == []


def test_a_user_saves_the_browse_filters_from_the_page_then_deletes_the_search(client, session):
    user = make_user(session, "technician", "62528")
    make_listing(session, make_user(session, "technician", "76402"), title="Épareuse")
    login(client, user)
    page = client.get("/listings/?q=eapreuse&kind=offer").get_data(as_text=True)
    assert "Épareuse" in page and "Enregistrer cette recherche" in page
    token = csrf_token(client, "/listings/?q=eapreuse&kind=offer")
    saved = client.post(
        "/alerts/", data={"csrf_token": token, "q": "eapreuse", "kind": "offer", "label": "Épareuses"}
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/alerts/")
    listing = htmllib.unescape(client.get("/alerts/").get_data(as_text=True))
    assert "Épareuses" in listing and "Mes recherches enregistrées" in listing
    # Told without assuming the reader's gender ("vous serez prévenu" did).
    assert "Épareuses\u00a0» vous sera signalée." in listing and "prévenu" not in listing
    again = client.post(
        "/alerts/", data={"csrf_token": token, "q": "eapreuse", "kind": "offer"}, follow_redirects=True
    )
    assert "Cette recherche est déjà enregistrée, sous le nom «\u00a0Épareuses\u00a0»." in htmllib.unescape(
        again.get_data(as_text=True)
    )
    alert = session.scalar(select(SavedSearch).where(SavedSearch.user_id == user.id))  # one, not two
    assert alert.filters == {"kind": "offer", "q": "eapreuse"}
    assert re.search(r'href="/listings/\?[^"]*q=eapreuse', listing)
    deleted = client.post(f"/alerts/{alert.id}/delete", data={"csrf_token": csrf_token(client, "/alerts/")})
    assert deleted.status_code == 302
    assert session.scalars(select(SavedSearch)).all() == []


def test_saving_without_a_csrf_token_or_without_filters_saves_nothing(client, session):
    user = make_user(session)
    login(client, user)
    client.post("/alerts/", data={"q": "podium"})
    token = csrf_token(client, "/listings/?q=podium")
    refused = client.post("/alerts/", data={"csrf_token": token}, follow_redirects=True)
    assert "Choisissez au moins un filtre" in htmllib.unescape(refused.get_data(as_text=True))
    assert session.scalars(select(SavedSearch)).all() == []


def test_another_users_search_cannot_be_deleted_from_the_page(client, session):
    owner = make_user(session)
    other = make_user(session)
    created = client.post("/api/v1/alerts", json={"q": "podium"}, headers=bearer(session, owner)).get_json()
    login(client, other)
    response = client.post(
        f"/alerts/{created['id']}/delete",
        data={"csrf_token": csrf_token(client, "/alerts/")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert session.get(SavedSearch, created["id"]) is not None


def test_a_search_near_a_commune_typed_by_name_is_saved_with_its_insee_code(client, session):
    # The browse page takes a commune as people type it (name, postcode or code): saving that
    # search keeps the commune it resolved to, as the browse page did.
    user = make_user(session, "technician", "62528")
    make_territory(session, "76402")
    login(client, user)
    page = client.get("/listings/?near=Malaunay&radius_km=30").get_data(as_text=True)
    assert "Enregistrer cette recherche" in page
    token = csrf_token(client, "/listings/?near=Malaunay")
    saved = client.post("/alerts/", data={"csrf_token": token, "near": "Malaunay", "radius_km": "30"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/alerts/")
    alert = session.scalar(select(SavedSearch).where(SavedSearch.user_id == user.id))
    assert alert.filters == {"near": "76402", "radius_km": 30.0}
    assert "Malaunay" in alert.label


def test_the_api_saves_a_search_near_a_commune_given_by_name_or_code(client, session):
    make_territory(session, "76402")
    headers = bearer(session, make_user(session))
    by_name = client.post("/api/v1/alerts", json={"near": "malaunay"}, headers=headers)
    assert by_name.status_code == 201, by_name.get_json()
    assert by_name.get_json()["filters"] == {"near": "76402"}
    by_code = client.post("/api/v1/alerts", json={"near": " 76402 "}, headers=headers)
    assert by_code.get_json()["filters"] == {"near": "76402"}


def test_a_search_saved_without_a_name_is_named_in_the_savers_language(client, session):
    """The default name is the saver's own (a saved search is private): an English reader's reads in
    English, words of the category included, where it mixed English and French."""
    user = make_user(session, "technician", "76402")
    filters = {"q": "nacelle", "kind": "offer", "category": "equipment", "subcategory": "vehicle_machinery"}
    english = client.post(
        "/api/v1/alerts", json=filters, headers={**bearer(session, user), "Accept-Language": "en"}
    )
    assert english.status_code == 201, english.get_json()
    assert (
        english.get_json()["label"]
        == "«\u00a0nacelle\u00a0» · Offer · Equipment · Machinery (mini excavator, tractor, aerial platform)"
    )
    french = client.post("/api/v1/alerts", json={**filters, "kind": "need"}, headers=bearer(session, user))
    assert (
        french.get_json()["label"]
        == "«\u00a0nacelle\u00a0» · Besoin · Matériel · Engins (mini-pelle, tracteur, nacelle)"
    )
