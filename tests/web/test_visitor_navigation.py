"""What a visitor (not logged in) finds in the navigation, and a public listing's page, per role."""

from __future__ import annotations

import re

import pytest

from tests.builders import login, make_listing, make_user

VISITOR_LINKS = ('href="/"', 'href="/explore"', 'href="/sheets"', 'href="/impact"', 'href="/join"')


def main_nav(html: str) -> str:
    return html.split('id="main-nav"')[1].split("</nav>")[0]


def test_a_visitor_sees_links_to_the_public_pages_and_to_sign_in_or_join(client):
    nav = main_nav(client.get("/explore").get_data(as_text=True))
    for link in VISITOR_LINKS:
        assert link in nav, link
    assert 'href="/login"' in nav
    assert 'href="/listings/mine"' not in nav and 'href="/agreements' not in nav


@pytest.mark.parametrize("role", ["admin", "technician", "official", "actor"])
def test_a_logged_in_user_keeps_their_navigation_without_the_visitor_links(client, session, role):
    user = make_user(session, role, "62528")
    login(client, user)
    nav = main_nav(client.get("/sheets").get_data(as_text=True))
    assert 'href="/sheets"' in nav and 'href="/impact"' in nav and 'href="/agreements"' in nav
    assert 'href="/join"' not in nav and 'href="/explore"' not in nav
    assert 'href="/login"' not in nav


def test_a_visitor_opens_a_published_public_listing_without_its_owners_name_or_email(client, session):
    owner = make_user(session, "technician", "62528", name="Sam Discret")
    listing = make_listing(session, owner, "offer", title="Broyeur de végétaux", description="Un broyeur.")
    explore = client.get("/explore").get_data(as_text=True)
    assert f'href="/explore/{listing.id}"' in explore
    page = client.get(f"/explore/{listing.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Broyeur de végétaux" in html and "Loos-en-Gohelle" in html and "Un broyeur." in html
    assert "Sam Discret" not in html and owner.email not in html
    assert not re.search(r"@[a-z0-9-]+\.[a-z]", html.split("<main")[1].split("</main>")[0])


def test_drafts_and_network_only_listings_stay_hidden_from_visitors(client, session):
    owner = make_user(session, "technician", "62528")
    draft = make_listing(session, owner, "offer", title="Brouillon", status="draft")
    private = make_listing(session, owner, "need", title="Réservé au réseau", network_only=True)
    for listing in (draft, private):
        assert client.get(f"/explore/{listing.id}").status_code == 404
    assert client.get("/explore/999999").status_code == 404
    login(client, owner)
    assert client.get(f"/explore/{private.id}").status_code == 200
