"""Starting agreements safely: another territory's draft listing does not exist for the caller,
a repeated submission finds the first draft, and a transition names the terms version it saw."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from mutualisation.agreements.models import Agreement
from tests.builders import bearer, csrf_token, login, make_agreement, make_listing, make_people

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"
DRAFT_TITLE = "Nacelle élévatrice en préparation"


@pytest.fixture
def people(session):
    return make_people(
        session, "loos_tech", "loos_official", "mal_tech", "mal_official", "mal_actor", "loos_actor"
    )


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Agreement.id)))


@pytest.mark.parametrize("role", ["mal_tech", "mal_official", "mal_actor", "loos_actor"])
@pytest.mark.parametrize("kind", ["offer", "need"])
def test_another_partys_draft_listing_is_not_found_on_the_new_agreement_page(
    client, session, people, role, kind
):
    draft = make_listing(session, people["loos_tech"], kind, status="draft", title=DRAFT_TITLE, quantity=7)
    login(client, people[role])
    response = client.get(f"/agreements/new?{kind}_id={draft.id}")
    assert response.status_code == 404
    assert DRAFT_TITLE not in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["loos_tech", "loos_official"])
def test_the_staff_managing_a_draft_listing_still_see_it_on_the_new_agreement_page(
    client, session, people, role
):
    draft = make_listing(session, people["loos_tech"], "offer", status="draft", title=DRAFT_TITLE)
    login(client, people[role])
    response = client.get(f"/agreements/new?offer_id={draft.id}")
    assert response.status_code == 200
    assert DRAFT_TITLE in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["mal_tech", "mal_official", "mal_actor", "loos_actor"])
@pytest.mark.parametrize("kind", ["offer", "need"])
def test_the_api_answers_404_for_another_partys_draft_listing_as_for_a_missing_one(
    client, session, people, role, kind
):
    draft = make_listing(session, people["loos_tech"], kind, status="draft", title=DRAFT_TITLE)
    headers = bearer(session, people[role])
    hidden = client.post("/api/v1/agreements", json={f"{kind}_id": draft.id}, headers=headers)
    missing = client.post("/api/v1/agreements", json={f"{kind}_id": 999999}, headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["error"]["code"] == missing.json["error"]["code"] == "not_found"
    assert hidden.json["error"]["message"] == missing.json["error"]["message"]
    assert DRAFT_TITLE not in hidden.get_data(as_text=True)
    assert _count(session) == 0


def test_a_draft_listing_the_caller_manages_is_refused_with_a_field_message_not_hidden(
    client, session, people
):
    draft = make_listing(session, people["mal_tech"], "need", status="draft")
    offer = make_listing(session, people["loos_tech"], "offer")
    response = client.post(
        "/api/v1/agreements",
        json={"offer_id": offer.id, "need_id": draft.id},
        headers=bearer(session, people["mal_tech"]),
    )
    assert response.status_code == 422 and "need_id" in response.json["error"]["fields"]


def _create_form(client, offer_id: int) -> dict:
    page = client.get(f"/agreements/new?offer_id={offer_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return {
        "csrf_token": token,
        "lines-0-description": "Barnum 5x8",
        "lines-0-quantity": "2",
        "starts_on": "2030-07-01",
        "ends_on": "2030-07-03",
        "kind": "loan",
    }


def test_submitting_the_new_agreement_form_twice_creates_one_draft(client, session, people):
    offer = make_listing(session, people["loos_tech"], "offer")
    login(client, people["mal_tech"])
    form = _create_form(client, offer.id)
    first = client.post(f"/agreements/new?offer_id={offer.id}", data=form)
    second = client.post(f"/agreements/new?offer_id={offer.id}", data=form, follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert _count(session) == 1
    assert second.request.path == first.headers["Location"]
    assert "Vous avez déjà un brouillon de convention pour cette annonce" in unescape(
        second.get_data(as_text=True)
    )


def test_another_member_of_the_same_party_finds_the_same_open_draft(client, session, people):
    offer = make_listing(session, people["loos_tech"], "offer")
    first = make_agreement(session, people["mal_tech"], people["loos_tech"], "draft")
    again = client.post(
        "/api/v1/agreements",
        json={"offer_id": first.offer_id},
        headers=bearer(session, people["mal_official"]),
    )
    assert again.status_code == 200 and again.json["id"] == first.id
    other = client.post(
        "/api/v1/agreements", json={"offer_id": offer.id}, headers=bearer(session, people["mal_actor"])
    )
    assert other.status_code == 201


def test_the_api_retry_of_a_creation_answers_the_same_draft_with_200(client, session, people):
    offer = make_listing(session, people["loos_tech"], "offer")
    headers = bearer(session, people["mal_tech"])
    first = client.post("/api/v1/agreements", json={"offer_id": offer.id}, headers=headers)
    retry = client.post("/api/v1/agreements", json={"offer_id": offer.id}, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json["id"] == first.json["id"] and retry.json["status"] == "draft"
    assert _count(session) == 1


def test_a_new_draft_is_possible_once_the_first_is_proposed(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    created = client.post(
        "/api/v1/agreements",
        json={"offer_id": agreement.offer_id},
        headers=bearer(session, people["mal_tech"]),
    )
    assert created.status_code == 201 and created.json["id"] != agreement.id


@pytest.mark.parametrize("version", ["missing", None])
def test_the_transitions_api_requires_the_terms_version(client, session, people, version):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "draft")
    body = {"action": "propose"} if version == "missing" else {"action": "propose", "version": version}
    response = client.post(
        f"/api/v1/agreements/{agreement.id}/transitions",
        json=body,
        headers=bearer(session, people["mal_tech"]),
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert list(response.json["error"]["fields"]) == ["version"]
    session.expire_all()
    assert session.get(Agreement, agreement.id).status == "draft"


def test_a_page_action_without_the_terms_version_changes_nothing(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "draft")
    login(client, people["mal_tech"])
    path = f"/agreements/{agreement.id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/actions/propose", data={"propose-csrf_token": token})
    assert response.status_code == 422
    assert "La version des conditions manque" in unescape(response.get_data(as_text=True))
    session.expire_all()
    assert session.get(Agreement, agreement.id).status == "draft"
