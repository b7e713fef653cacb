"""The listing form does not misfile: nothing chosen for people, required fields marked, one error
summary, and a failed address lookup said so rather than looking like a success."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import func, select

from mutualisation.listings.models import Listing
from mutualisation.territories.geocoding import GeocodedPoint
from tests.builders import csrf_token, login, make_user

FORM = {
    "kind": "need",
    "category": "equipment",
    "subcategory": "green_chipper",
    "title": "Broyeur de végétaux",
    "description": "Pour les tailles de printemps",
    "logistics": "both",
    "conditions": "loan",
}


def _post(client, data):
    return client.post("/listings/new", data=data | {"csrf_token": csrf_token(client, "/listings/new")})


def _selected(page: str, name: str) -> str:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(0)
    chosen = re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", select_html)
    return chosen.group(1) if chosen else re.search(r"<option[^>]*>([^<]*)</option>", select_html).group(1)


def test_kind_category_and_subcategory_start_on_choose_and_are_marked_required(client, session):
    login(client, make_user(session, "technician", "76402"))
    page = htmllib.unescape(client.get("/listings/new").get_data(as_text=True))
    for name in ("kind", "category", "subcategory"):
        assert _selected(page, name) == "Choisir…"
        tag = re.search(rf'<select[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'aria-required="true"' in tag and "required" in tag
    assert page.count('class="required-mark"') >= 4  # kind, category, subcategory, title (+ the note)
    assert "Les champs marqués d'un" in page


def test_a_form_without_a_kind_or_subcategory_is_refused_with_one_linked_summary(client, session):
    login(client, make_user(session, "technician", "76402"))
    response = _post(client, FORM | {"kind": "", "subcategory": ""})
    page = htmllib.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert session.scalar(select(func.count(Listing.id))) == 0
    assert page.count("alert-danger") == 1 and 'id="error-summary"' in page
    assert 'href="#kind"' in page and 'href="#subcategory"' in page
    assert "Choisissez une sous-catégorie." in page
    # The summary says what is wrong, as the field does: lazily translated messages included.
    summary = re.search(r'id="error-summary".*?</ul>', page, re.S).group(0)
    assert "Type\u00a0: Choisissez offre ou besoin." in summary
    assert "Sous-catégorie\u00a0: Choisissez une sous-catégorie." in summary
    assert "vérifiez cette partie" not in summary


def test_one_submission_names_every_mistake_the_forms_and_the_rules(client, session):
    """A missing type stopped the form before the listing rules ran: the negative quantity and the
    reversed dates only showed on the next try."""
    login(client, make_user(session, "technician", "76402"))
    wrong = {"kind": "", "quantity": "-3", "available_from": "2027-05-10", "available_until": "2027-05-01"}
    page = htmllib.unescape(_post(client, FORM | wrong).get_data(as_text=True))
    summary = re.search(r'id="error-summary".*?</ul>', page, re.S).group(0)
    assert re.findall(r'href="#(\w+)"', summary) == ["kind", "quantity", "available_until"]
    assert summary.count("Choisissez offre ou besoin.") == 1  # the rule's twin of the form's is not repeated
    assert "La quantité ne peut pas être négative." in summary
    assert session.scalar(select(func.count(Listing.id))) == 0


def test_a_service_refusal_shows_in_the_same_summary_not_in_a_second_banner(client, session):
    login(client, make_user(session, "technician", "76402"))
    page = htmllib.unescape(_post(client, FORM | {"subcategory": "composting"}).get_data(as_text=True))
    assert page.count("alert-danger") == 1
    assert 'href="#subcategory"' in page


def test_quantities_are_bounded_in_the_browser_and_on_the_server(client, session):
    login(client, make_user(session, "technician", "76402"))
    page = client.get("/listings/new").get_data(as_text=True)
    quantity = re.search(r'<input[^>]*name="quantity"[^>]*>', page).group(0)
    assert 'max="1000000"' in quantity and 'min="0"' in quantity
    response = _post(client, FORM | {"quantity": "1e12"})
    assert response.status_code == 200 and session.scalar(select(func.count(Listing.id))) == 0


def test_an_address_not_found_is_said_and_the_listing_shows_an_approximate_position(client, session, app):
    class NotFound:
        def geocode(self, address):
            return None

    app.extensions["mutualisation.geocoder"] = NotFound()
    login(client, make_user(session, "technician", "76402"))
    response = _post(client, FORM | {"address": "12 rue Inexistante"})
    page = htmllib.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "alert-success" not in page and "alert-warning" in page
    assert "Adresse introuvable en France" in page
    assert "position approximative\u00a0: mairie" in page
    assert session.scalar(select(Listing)).location_source == "territory"


def test_a_located_address_shows_no_approximate_position(client, session, app):
    class Found:
        def geocode(self, address):
            return GeocodedPoint(49.53, 1.04, address)

    app.extensions["mutualisation.geocoder"] = Found()
    login(client, make_user(session, "technician", "76402"))
    response = _post(client, FORM | {"address": "1 place de la Mairie, Malaunay"})
    page = htmllib.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "alert-success" in page and "position approximative" not in page
