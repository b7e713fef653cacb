"""Relevance through HTTP: why a listing has no suggestion, widening its radius, the cards, the
facilitator's page, and the demo network's dashboards."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from babel.dates import format_date
from sqlalchemy import event, func, select

from mutualisation.agreements.models import Agreement
from mutualisation.audit.models import AuditEvent
from mutualisation.demo import load_demo
from mutualisation.listings.models import Listing
from mutualisation.matching import engine, no_match, services
from mutualisation.matching.models import Suggestion
from mutualisation.matching.scoring import MatchingConfig
from tests.builders import PASSWORD, csrf_token, login, make_user
from tests.builders import make_neutral_listing as make_listing

CARD = 'data-testid="suggestion-card"'
DEMO_SLUGS = ("loos-en-gohelle", "le-mene", "malaunay", "grande-synthe")


def far_podium(session):
    """Loos needs a podium (equipment: 100 km by default); Malaunay's, about 160 km away, accepts 300 km."""
    loos, malaunay = make_user(session, "technician", "62528"), make_user(session, "technician", "76402")
    offer = make_listing(session, malaunay, kind="offer", subcategory="event_stage", max_distance_km=300.0)
    need = make_listing(session, loos, kind="need", subcategory="event_stage", title="Besoin d'un podium")
    session.flush()
    engine.full_recompute(session, MatchingConfig.from_mapping({}), coop=[])
    assert session.scalars(select(Suggestion)).first() is None
    return loos, malaunay, offer, need


def token(client, user) -> dict:
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_listing_page_says_why_there_is_no_suggestion_and_offers_to_widen(client, session):
    loos, _malaunay, _offer, need = far_podium(session)
    login(client, loos)
    page = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert "1 offre compatible au-delà de votre rayon de 100 km ; elle est à" in page
    found = re.search(r"Élargir le rayon à (\d+) km", page)
    assert found and 150 <= int(found.group(1)) <= 200 and int(found.group(1)) % 10 == 0


def test_a_reader_who_does_not_manage_the_listing_is_told_about_its_radius_not_theirs(client, session):
    loos, malaunay, _offer, need = far_podium(session)
    login(client, malaunay)  # a peer technician of another territory
    page = htmllib.unescape(client.get(f"/listings/{need.id}").get_data(as_text=True))
    assert "1 offre compatible au-delà du rayon de 100\u00a0km de ce besoin\u00a0; elle est à" in page
    assert "votre rayon" not in page and "Élargir le rayon" not in page
    body = client.get(f"/api/v1/listings/{need.id}/suggestions", headers=token(client, malaunay)).get_json()
    assert "de ce besoin" in body["no_match_reasons"][0]["message"]
    english = client.get(
        f"/api/v1/listings/{need.id}/suggestions",
        headers={**token(client, malaunay), "Accept-Language": "en"},
    ).get_json()
    assert "beyond this need's radius of 100" in english["no_match_reasons"][0]["message"]
    owner = client.get(f"/api/v1/listings/{need.id}/suggestions", headers=token(client, loos)).get_json()
    assert "votre rayon" in owner["no_match_reasons"][0]["message"]


def test_the_suggestions_api_carries_the_reasons_of_an_absence(client, session):
    loos, *_rest, need = far_podium(session)
    body = client.get(f"/api/v1/listings/{need.id}/suggestions", headers=token(client, loos)).get_json()
    assert body["items"] == [] and body["total"] == 0
    assert [r["code"] for r in body["no_match_reasons"]] == ["beyond"]
    assert "100\u00a0km" in body["no_match_reasons"][0]["message"]
    assert body["widen_to_km"] % 10 == 0 and body["widen_to_km"] > 100


def test_a_need_whose_only_match_is_reserved_is_told_so_in_each_language(client, session):
    loos, malaunay = make_user(session, "technician", "62528"), make_user(session, "technician", "76402")
    held = dict(kind="offer", subcategory="event_stage", max_distance_km=300.0, status="reserved")
    make_listing(session, malaunay, **held)  # an agreement under way holds it
    need = make_listing(session, loos, kind="need", subcategory="event_stage", max_distance_km=300.0)
    session.flush()
    engine.full_recompute(session, MatchingConfig.from_mapping({}), coop=[])
    url = f"/api/v1/listings/{need.id}/suggestions"
    body = client.get(url, headers=token(client, loos)).get_json()
    assert body["items"] == [] and body["widen_to_km"] is None
    assert [(r["code"], r["message"]) for r in body["no_match_reasons"]] == [
        ("reserved", "1 offre compatible est réservée pour une convention en cours.")
    ]
    english = client.get(url, headers={**token(client, malaunay), "Accept-Language": "en"}).get_json()
    assert english["no_match_reasons"][0]["message"] == (
        "1 compatible offer is reserved for an agreement under way."
    )


def test_widening_the_radius_updates_the_listing_audits_it_and_brings_the_suggestion(client, session):
    loos, _malaunay, offer, need = far_podium(session)
    login(client, loos)
    path = f"/listings/{need.id}"
    widen = client.get(f"/api/v1/listings/{need.id}/suggestions").get_json()["widen_to_km"]
    response = client.post(
        f"{path}/widen-radius",
        data={
            "csrf_token": csrf_token(client, path),
            "radius_km": widen,
            "version": need.version,
            "next": path,
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Listing, need.id).max_distance_km == widen
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(need.id))).all()
    assert any(e.action == "listing.updated" and e.data.get("fields") == ["max_distance_km"] for e in events)
    suggestion = session.scalars(select(Suggestion).where(Suggestion.need_id == need.id)).one()
    assert suggestion.offer_id == offer.id
    page = client.get(path).get_data(as_text=True)
    assert CARD in page and "Élargir le rayon" not in page


def test_widening_needs_the_csrf_token_and_the_right_to_manage_the_listing(app, client, session):
    loos, malaunay, _offer, need = far_podium(session)
    login(client, loos)
    path = f"/listings/{need.id}/widen-radius"
    assert client.post(path, data={"radius_km": 200, "version": need.version}).status_code == 400
    other = app.test_client()
    login(other, malaunay)
    response = other.post(
        path, data={"csrf_token": csrf_token(other, "/"), "radius_km": 200, "version": need.version}
    )
    assert response.status_code in (403, 404)
    assert "Élargir le rayon" not in other.get(f"/listings/{need.id}").get_data(as_text=True)
    session.expire_all()
    assert session.get(Listing, need.id).max_distance_km is None


def test_the_dashboard_says_why_the_users_listings_have_no_suggestion(client, session):
    loos, _malaunay, _offer, need = far_podium(session)
    # An actor's listing of the same territory: the technician does not manage it.
    actor = make_user(session, "actor", "62528")
    foreign = make_listing(session, actor, kind="need", subcategory="event_stage", title="Besoin d'un acteur")
    session.flush()
    login(client, loos)
    dashboard = client.get("/").get_data(as_text=True)
    assert f'href="/listings/{need.id}"' in dashboard and 'data-testid="no-match"' in dashboard
    assert "1 offre compatible au-delà de votre rayon de 100 km ; elle est à" in dashboard
    assert re.search(r"Élargir le rayon à \d+ km", dashboard)
    assert f'href="/listings/{foreign.id}"' not in dashboard


def test_the_dashboards_explanations_read_the_counterparts_once(session):
    loos, _malaunay, _offer, need = far_podium(session)
    second = make_listing(session, loos, kind="need", subcategory="event_stage", title="Un second podium")
    session.flush()
    listings = no_match.listings_without_suggestions_of(session, loos)
    assert {listing.id for listing in listings} == {need.id, second.id}
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        found = no_match.no_match_for_listings(session, loos, listings, MatchingConfig.from_mapping({}))
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert [f.listing_id for f in found] == [listing.id for listing in listings]
    assert all([r.code for r in f.reasons] == ["beyond"] for f in found)
    assert len(statements) == 1  # one query for both listings' counterparts


def test_a_card_links_the_other_listing_with_its_territory_distance_and_points(client, session):
    loos, _malaunay, offer, need = far_podium(session)
    need.max_distance_km = 300.0
    session.flush()
    engine.full_recompute(session, MatchingConfig.from_mapping({}), coop=[])
    login(client, loos)
    page = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert f'href="/listings/{offer.id}"' in page
    assert "Malaunay" in page and "km à vol d'oiseau" in page
    score = int(re.search(r"score (\d+) / 100", page).group(1))
    parts = [int(p) for p in re.findall(r'<span class="text-muted">\+(\d+) pts', page)]
    assert abs(sum(parts) - score) <= len(parts)  # the parts add up to the score, in one unit
    assert re.search(r"même sous-catégorie <span[^>]*>\+\d+ pts", page)
    assert "<details" in page and "<summary" in page  # dismissing opens on demand
    dashboard = client.get("/").get_data(as_text=True)
    assert CARD in dashboard and f'href="/listings/{offer.id}"' in dashboard


def test_a_dashboard_card_names_the_users_own_listing_and_the_others_kind(client, session):
    """The dashboard mixes the suggestions of all the user's listings: each card says which one it
    is for. A listing's own page does not repeat it."""
    loos, malaunay, offer, need = far_podium(session)
    need.max_distance_km = 300.0
    session.flush()
    engine.full_recompute(session, MatchingConfig.from_mapping({}), coop=[])
    for user, mine, other, kind in ((loos, need, offer, "Offre"), (malaunay, offer, need, "Besoin")):
        login(client, user)
        card = client.get("/").get_data(as_text=True).split(CARD, 1)[1].split("</li>", 1)[0]
        title = re.search(r'<h3 class="h5 card-title">(.*?)</h3>', card, re.S).group(1)
        assert f'href="/listings/{other.id}"' in title and f">{kind}</span>" in card.split("</h3>", 1)[1]
        for_mine = re.search(r'data-testid="suggestion-for">(.*?)</p>', card, re.S).group(1)
        assert "Pour votre annonce" in for_mine and f'href="/listings/{mine.id}"' in for_mine
        assert 'data-testid="suggestion-for"' not in client.get(f"/listings/{mine.id}").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


@pytest.mark.parametrize("role", ["technician", "official", "actor"])
def test_the_matching_admin_page_is_the_facilitators_only(client, session, role):
    login(client, make_user(session, role, "62528"))
    assert client.get("/admin/matching").status_code == 403


def test_the_facilitator_sees_rates_reasons_and_listings_without_suggestion(client, session):
    loos, malaunay, _offer, need = far_podium(session)
    chipper = make_listing(
        session, malaunay, kind="offer", subcategory="green_chipper", max_distance_km=300.0
    )
    near = make_listing(session, loos, kind="need", subcategory="green_chipper", max_distance_km=300.0)
    session.flush()
    engine.full_recompute(session, MatchingConfig.from_mapping({}), coop=[])
    dismissed = session.scalars(select(Suggestion).where(Suggestion.need_id == near.id)).one()
    assert dismissed.offer_id == chipper.id
    services.dismiss(session, loos, dismissed.id, "too_far")
    login(client, make_user(session, "admin", "62528"))
    page = client.get("/admin/matching").get_data(as_text=True)
    assert re.search(r"<li>Trop loin\s*:\s*1</li>", page)
    # the month's one equipment suggestion was dismissed (a French percentage: a no-break space)
    assert "Matériel" in page and "1 (100\u00a0%)" in page
    assert format_date(dismissed.created_at, "LLLL y", locale="fr") in page  # "novembre 2026", not "2026-11"
    assert "Taux d'acceptation et d'écartement" in page
    assert "Motifs d'écartement les plus fréquents" in page
    assert f'href="/listings/{need.id}"' in page  # the podium need has no suggestion
    assert client.get("/admin/matching?page=0").status_code == 422


def test_every_demo_technicians_dashboard_shows_suggestions(app, session):
    load_demo(session)
    for slug in DEMO_SLUGS:
        client = app.test_client()  # a fresh visitor for each technician
        email = f"technician@{slug}.demo"
        assert client.post("/login", data=_login_form(client, email)).status_code == 302
        dashboard = client.get("/").get_data(as_text=True)
        assert dashboard.count(CARD) >= 1, f"no suggestion on the dashboard of {email}"
        assert "Aucune suggestion pour l'instant" not in dashboard
    statuses = set(session.scalars(select(Agreement.status)))
    stages = {"draft", "proposed", "negotiating", "pending_approval", "approved", "signed", "in_progress"}
    assert stages | {"returned", "completed", "evaluated", "refused"} <= statuses


def test_the_demos_facilitator_page_shows_dismissals_and_their_reasons(app, session):
    """The demo dismisses a few of its weakest suggestions, with reasons, so that the facilitator's
    page shows rates and reasons; loading it again decides nothing more."""
    load_demo(session)
    dismissed = session.scalars(select(Suggestion).where(Suggestion.status == "dismissed")).all()
    assert sorted(s.dismiss_reason for s in dismissed) == ["dates_dont_fit", "too_far"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "suggestion.dismissed")).all()
    assert sorted(e.object_id for e in events) == sorted(str(s.id) for s in dismissed)
    client = app.test_client()
    assert client.post("/login", data=_login_form(client, "admin@mutualisation.demo")).status_code == 302
    page = client.get("/admin/matching").get_data(as_text=True)
    assert "<li>Trop loin\u00a0: 1</li>" in page  # French punctuation: a no-break space first
    assert "<li>Les dates ne conviennent pas\u00a0: 1</li>" in page
    assert "Aucune suggestion n'a encore été écartée" not in page
    load_demo(session)
    assert session.scalar(select(func.count()).where(Suggestion.status == "dismissed")) == 2


def _login_form(client, email: str) -> dict:
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found
    return {"email": email, "password": "demo-password", "csrf_token": found.group(1)}
