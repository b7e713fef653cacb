from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import select

from mutualisation.listings.models import Listing
from mutualisation.territories.geocoding import GeocodingUnavailable
from tests.builders import csrf_token, login, make_listing, make_territory, make_user

FORM = {
    "kind": "need",
    "category": "equipment",
    "subcategory": "green_chipper",
    "title": "Broyeur de végétaux",
    "description": "Pour les tailles de printemps",
    "logistics": "both",
    "conditions": "loan",
}


def post_form(client, path, data):
    return client.post(path, data=data | {"csrf_token": csrf_token(client, path)})


@pytest.mark.parametrize(
    "path",
    ["/listings/", "/listings/map", "/listings/new", "/listings/mine", "/listings/1", "/listings/1/edit"],
)
def test_a_logged_out_visitor_is_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_technician_creates_a_need_through_the_form_and_publishes_it(client, session):
    user = make_user(session, "technician", "76402")
    login(client, user)
    response = post_form(client, "/listings/new", FORM)
    assert response.status_code == 302
    listing = session.scalar(select(Listing))
    session.expire_all()
    assert listing.status == "draft" and listing.title == "Broyeur de végétaux"
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Brouillon" in detail and "Publier" in detail
    token = csrf_token(client, f"/listings/{listing.id}")
    client.post(f"/listings/{listing.id}/publish", data={"csrf_token": token})
    session.expire_all()
    assert listing.status == "published"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Un titre est obligatoire."),
        ({"category": "unknown"}, "Not a valid choice."),
        ({"subcategory": "composting"}, "Cette sous-catégorie n'appartient pas à la catégorie choisie."),
        (
            {"available_from": "2026-06-01", "available_until": "2026-05-01"},
            "La fin de la période de disponibilité précède son début.",
        ),
        ({"quantity": "-3"}, "La quantité ne peut pas être négative."),
        ({"max_distance_km": "1500"}, "La distance maximale doit être comprise entre 0 et 1 000 km."),
        ({"latitude": "120", "longitude": "2"}, "Coordonnées hors limites."),
        ({"latitude": "40.4", "longitude": "-3.7"}, "Ce point est hors de France."),
        ({"description": "x" * 5001}, "La description est trop longue (5 000 caractères au maximum)."),
    ],
)
def test_bad_input_in_the_form_shows_a_french_field_error_and_saves_nothing(
    client, session, changes, message
):
    login(client, make_user(session, "technician", "76402"))
    response = post_form(client, "/listings/new", FORM | changes)
    html = htmllib.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    if message != "Not a valid choice.":
        assert message in html
    assert "invalid-feedback" in html
    assert session.scalar(select(Listing.id)) is None


def test_html_in_a_title_is_escaped_on_display(client, session):
    user = make_user(session, "technician", "76402")
    listing = make_listing(session, user, title="<script>alert(1)</script>", description="<b>gras</b>")
    login(client, user)
    for path in (f"/listings/{listing.id}", "/listings/", "/listings/mine"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_stale_edit_shows_a_french_conflict_message(client, session):
    user = make_user(session, "technician", "76402")
    listing = make_listing(session, user)
    login(client, user)
    html = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    listing.title = "Changé ailleurs"
    session.commit()
    response = client.post(
        f"/listings/{listing.id}/edit", data=FORM | {"version": "1", "csrf_token": token, "kind": "offer"}
    )
    assert "modifiée par quelqu'un d'autre" in htmllib.unescape(response.get_data(as_text=True))
    session.expire_all()
    assert listing.title == "Changé ailleurs"


def test_a_technician_cannot_open_the_edit_page_of_another_territorys_listing(client, session):
    listing = make_listing(session, make_user(session, "technician", "76402"))
    login(client, make_user(session, "technician", "62528"))
    token = csrf_token(client, "/listings/mine")
    edit = client.post(f"/listings/{listing.id}/edit", data=FORM | {"version": "1", "csrf_token": token})
    withdraw = client.post(
        f"/listings/{listing.id}/withdraw", data={"reason": "no_longer_available", "csrf_token": token}
    )
    assert edit.status_code == 403 and withdraw.status_code == 403
    session.expire_all()
    assert listing.status == "published"


def test_an_actor_cannot_edit_another_actors_listing_through_the_page(client, session):
    listing = make_listing(session, make_user(session, "actor", "76402"))
    login(client, make_user(session, "actor", "76402"))
    assert client.get(f"/listings/{listing.id}/edit").status_code == 403
    detail = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Retirer l'annonce" not in detail


def test_withdraw_with_a_reason_from_the_page(client, session):
    user = make_user(session, "actor", "76402")
    listing = make_listing(session, user)
    login(client, user)
    token = csrf_token(client, f"/listings/{listing.id}")
    client.post(
        f"/listings/{listing.id}/withdraw", data={"reason": "other", "reason_text": "", "csrf_token": token}
    )
    session.expire_all()
    assert listing.status == "published"
    client.post(
        f"/listings/{listing.id}/withdraw",
        data={"reason": "other", "reason_text": "Cédé à une association", "csrf_token": token},
    )
    session.expire_all()
    assert listing.status == "withdrawn"
    assert "Cédé à une association" in client.get(f"/listings/{listing.id}").get_data(as_text=True)


def test_an_unreachable_geocoder_is_explained_in_french(client, session, app):
    class Offline:
        def geocode(self, address):
            raise GeocodingUnavailable("offline")

    app.extensions["mutualisation.geocoder"] = Offline()
    login(client, make_user(session, "technician", "76402"))
    response = post_form(client, "/listings/new", FORM | {"address": "1 place de la Mairie"})
    page = htmllib.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Le service d'adresses est injoignable" in page
    assert session.scalar(select(Listing)).location_source == "territory"


def test_browse_filters_by_radius_and_shows_distances(client, session):
    make_territory(session, "62528")
    user = make_user(session, "technician", "76402")
    make_listing(session, user, kind="need", title="Broyeur à Malaunay")
    make_listing(session, make_user(session, "technician", "22046"), kind="need", title="Broyeur au Mené")
    login(client, user)
    html = client.get("/listings/?category=equipment&near=62528&radius_km=300&sort=nearest").get_data(
        as_text=True
    )
    assert "Broyeur à Malaunay" in html and "Broyeur au Mené" not in html
    assert re.search(r'id="results-title"[^>]*>1 annonce\s*<', html) and " km" in html  # singular


def test_browse_lists_a_text_search_most_relevant_first_and_offers_the_orders_in_french(client, session):
    user = make_user(session, "technician", "76402")
    make_listing(
        session, user, title="Broyeur de branches", description="Broyeur thermique, broyeur de végétaux."
    )
    make_listing(session, user, title="Remorque", description="Transporte aussi un broyeur de jardin.")
    login(client, user)
    html = client.get("/listings/?q=broyeurs").get_data(as_text=True)
    assert html.index("Broyeur de branches") < html.index("Remorque")
    for option in ("Pertinence", "Les plus récentes", "Les plus proches"):
        assert f">{option}</option>" in html
    newest = client.get("/listings/?q=broyeurs&sort=newest").get_data(as_text=True)
    assert newest.index("Remorque") < newest.index("Broyeur de branches")
    assert '<option selected value="newest">' in newest


def test_browse_has_a_useful_empty_state(client, session):
    login(client, make_user(session))
    html = client.get("/listings/?q=introuvable").get_data(as_text=True)
    assert "Aucune annonce ne correspond à ces filtres." in html


def test_a_text_with_no_word_to_look_for_says_it_filters_nothing(client, session):
    login(client, make_user(session))
    make_listing(session, make_user(session, "technician", "76402"), title="Broyeur")
    html = htmllib.unescape(client.get("/listings/?q=de+la+!").get_data(as_text=True))
    assert "«\u00a0de la !\u00a0» ne contient aucun mot à chercher" in html and "Broyeur" in html
    for q in ("broyeur", "introuvable", ""):  # a word, found or not, or no text: nothing to say
        assert 'data-testid="text-filters-nothing"' not in client.get(f"/listings/?q={q}").get_data(
            as_text=True
        )


def test_the_map_page_points_to_the_json_endpoint_and_the_configured_tiles(client, session):
    login(client, make_user(session))
    html = client.get("/listings/map?kind=offer").get_data(as_text=True)
    assert 'data-points-url="/api/v1/listings/map?kind=offer"' in html
    assert "tile.openstreetmap.org" in html and "leaflet.markercluster.js" in html
    asset = client.get("/assets/markercluster/leaflet.markercluster.js")
    assert asset.status_code == 200
    asset.close()


def test_my_listings_and_the_dashboard_panel_show_counts(client, session):
    user = make_user(session, "technician", "76402")
    make_listing(session, user, status="draft", title="Mon brouillon")
    login(client, user)
    mine = client.get("/listings/mine").get_data(as_text=True)
    assert "Mon brouillon" in mine and "Brouillon (1)" in mine
    home = client.get("/").get_data(as_text=True)
    assert "Mes annonces" in home and "Mon brouillon" in home
    # Each language's own punctuation: a no-break space before the colon in French only.
    assert "Brouillon\u00a0: 1" in home
    assert "Draft: 1" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_duplicate_and_renew_from_the_pages(client, session):
    user = make_user(session, "technician", "76402")
    listing = make_listing(session, user, status="expired", subcategory="event_stage")
    login(client, user)
    token = csrf_token(client, f"/listings/{listing.id}")
    client.post(f"/listings/{listing.id}/renew", data={"available_until": "", "csrf_token": token})
    session.expire_all()
    assert listing.status == "published"
    copy = client.post(f"/listings/{listing.id}/duplicate", data={"csrf_token": token})
    assert copy.status_code == 302 and "/edit" in copy.headers["Location"]
    assert len(session.scalars(select(Listing)).all()) == 2


def test_browse_paginates_with_working_previous_and_next_links(client, session):
    user = make_user(session, "technician", "76402")
    for i in range(25):
        make_listing(session, user, title=f"Annonce {i:02d}")
    login(client, user)
    first = client.get("/listings/").get_data(as_text=True)
    assert "Annonce 24" in first and "Annonce 04" not in first and "Page 1 sur 2" in first
    second = client.get("/listings/?page=2").get_data(as_text=True)
    assert "Annonce 04" in second and "Annonce 24" not in second
