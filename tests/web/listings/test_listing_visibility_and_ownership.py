"""Per role, through real HTTP: a draft one may not see is a 404 on every listing page and API
endpoint; `publish: true` is one commit; the facilitator writes no listing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mutualisation.listings import editing
from mutualisation.listings.models import Listing
from tests.builders import csrf_token, login, make_listing, make_user
from tests.web.listings.test_listings_api import NEED, bearer

# Who may not see a draft a Loos technician wrote (62528): other territories' staff, any actor.
OUTSIDERS = [("technician", "76402"), ("official", "76402"), ("actor", "62528"), ("actor", "76402")]


def listing_count(session) -> int:
    return session.scalar(select(func.count(Listing.id))) or 0


@pytest.fixture
def draft(session):
    return make_listing(
        session, make_user(session, "technician", "62528"), status="draft", title="Brouillon caché"
    )


@pytest.mark.parametrize(("role", "code"), OUTSIDERS)
def test_a_hidden_draft_is_a_404_on_every_api_endpoint(client, session, draft, role, code):
    headers = bearer(session, make_user(session, role, code))
    base = f"/api/v1/listings/{draft.id}"
    answers = {
        "get": client.get(base, headers=headers),
        "history": client.get(f"{base}/history", headers=headers),
        "patch": client.patch(base, json={"title": "x", "version": 1}, headers=headers),
        "publish": client.post(f"{base}/publish", headers=headers),
        "withdraw": client.post(f"{base}/withdraw", json={"reason": "no_longer_available"}, headers=headers),
        "renew": client.post(f"{base}/renew", json={}, headers=headers),
        "duplicate": client.post(f"{base}/duplicate", headers=headers),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    assert all(r.get_json()["error"]["code"] == "not_found" for r in answers.values())
    assert all("Brouillon" not in r.get_data(as_text=True) for r in answers.values())
    session.expire_all()
    assert draft.status == "draft" and draft.title == "Brouillon caché"


@pytest.mark.parametrize(("role", "code"), OUTSIDERS)
def test_a_hidden_draft_is_a_404_on_every_listing_page(client, session, draft, role, code):
    login(client, make_user(session, role, code))
    token = csrf_token(client, "/listings/mine")
    base = f"/listings/{draft.id}"
    answers = {
        "detail": client.get(base),
        "edit": client.get(f"{base}/edit"),
        "publish": client.post(f"{base}/publish", data={"csrf_token": token}),
        "withdraw": client.post(
            f"{base}/withdraw", data={"reason": "other", "reason_text": "x", "csrf_token": token}
        ),
        "renew": client.post(f"{base}/renew", data={"csrf_token": token}),
        "duplicate": client.post(f"{base}/duplicate", data={"csrf_token": token}),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    assert all("Brouillon caché" not in r.get_data(as_text=True) for r in answers.values())
    session.expire_all()
    assert draft.status == "draft"


@pytest.mark.parametrize(
    ("role", "code"), [("technician", "62528"), ("official", "62528"), ("admin", "76402")]
)
def test_those_who_manage_the_draft_see_it_on_the_page_and_the_api(client, session, draft, role, code):
    user = make_user(session, role, code)
    assert client.get(f"/api/v1/listings/{draft.id}", headers=bearer(session, user)).status_code == 200
    login(client, user)
    assert "Brouillon caché" in client.get(f"/listings/{draft.id}").get_data(as_text=True)


def test_a_published_listing_one_may_not_manage_is_a_403_not_a_404(client, session):
    listing = make_listing(session, make_user(session, "technician", "62528"))
    headers = bearer(session, make_user(session, "technician", "76402"))
    assert client.get(f"/api/v1/listings/{listing.id}", headers=headers).status_code == 200
    assert client.post(f"/api/v1/listings/{listing.id}/publish", headers=headers).status_code == 403


def test_create_with_publish_is_one_commit_and_a_refused_publication_leaves_no_draft(client, session):
    headers = bearer(session, make_user(session, "technician", "76402"))
    before = listing_count(session)
    over = NEED | {"publish": True, "available_from": "2020-01-01", "available_until": "2020-02-01"}
    refused = client.post("/api/v1/listings", json=over, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert "available_until" in refused.get_json()["error"]["fields"]
    assert listing_count(session) == before
    created = client.post("/api/v1/listings", json=NEED | {"publish": True}, headers=headers)
    assert created.status_code == 201 and created.get_json()["status"] == "published"
    assert listing_count(session) == before + 1


def test_an_error_inside_the_publish_step_of_the_api_leaves_nothing_behind(client, session, monkeypatch):
    headers = bearer(session, make_user(session, "technician", "76402"))
    before = listing_count(session)

    def refuse(*_args, **_kwargs):
        from mutualisation.errors import RuleViolation

        raise RuleViolation("refused in the publish step")

    monkeypatch.setattr(editing, "apply_transition", refuse)
    response = client.post("/api/v1/listings", json=NEED | {"publish": True}, headers=headers)
    assert response.status_code == 422
    assert listing_count(session) == before


def test_the_facilitator_cannot_create_a_listing_through_the_api_or_the_form(client, session):
    admin = make_user(session, "admin", "62528")
    before = listing_count(session)
    response = client.post("/api/v1/listings", json=NEED | {"publish": True}, headers=bearer(session, admin))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    login(client, admin)
    token = csrf_token(client, "/listings/mine")
    form = NEED | {"logistics": "both", "conditions": "free", "csrf_token": token}
    assert client.post("/listings/new", data=form).status_code == 403
    assert listing_count(session) == before


def test_the_facilitator_is_offered_no_new_listing_button_and_no_form(client, session):
    login(client, make_user(session, "admin", "62528"))
    assert client.get("/listings/new").status_code == 403
    for page in ("/listings/", "/listings/mine"):
        body = client.get(page).get_data(as_text=True)
        assert 'href="/listings/new' not in body, page


def test_a_technician_is_still_offered_the_new_listing_button(client, session):
    login(client, make_user(session, "technician", "62528"))
    assert client.get("/listings/new").status_code == 200
    assert 'href="/listings/new' in client.get("/listings/mine").get_data(as_text=True)
