"""Agreements through HTTP: the JSON API and the pages, with each role's permissions."""

from __future__ import annotations

import html
import re

import pytest

from mutualisation.agreements.models import Agreement
from tests.builders import bearer, csrf_token, login, make_agreement, make_listing, make_people

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"


@pytest.fixture
def people(session):
    return make_people(
        session,
        "loos_tech",
        "loos_official",
        "mal_tech",
        "mal_official",
        "mene_official",
        "loos_actor",
        "admin",
    )


def test_the_api_creates_a_draft_and_drives_it_to_approval(client, session, people):
    offer = make_listing(session, people["loos_tech"], "offer")
    mal = bearer(session, people["mal_tech"])
    created = client.post(
        "/api/v1/agreements",
        json={"offer_id": offer.id, "terms": {"starts_on": "2030-05-01", "ends_on": "2030-05-03"}},
        headers=mal,
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["status"] == "draft" and body["version"] == 0
    assert [p["side"] for p in body["parties"]] == ["provider", "beneficiary"]
    assert "propose" in body["allowed_actions"]
    agreement_id = body["id"]
    url = f"/api/v1/agreements/{agreement_id}/transitions"
    assert (
        client.post(url, json={"action": "propose", "version": 0}, headers=mal).json["status"] == "proposed"
    )
    loos = bearer(session, people["loos_tech"])
    assert (
        client.post(url, json={"action": "accept", "version": 1}, headers=loos).json["status"]
        == "pending_approval"
    )

    tech_try = client.post(url, json={"action": "approve", "version": 1}, headers=loos)
    assert tech_try.status_code == 403 and tech_try.json["error"]["code"] == "forbidden"
    other = client.post(
        url, json={"action": "approve", "version": 1}, headers=bearer(session, people["mene_official"])
    )
    assert other.status_code == 403
    refuse = client.post(
        url, json={"action": "refuse", "version": 1}, headers=bearer(session, people["loos_official"])
    )
    assert refuse.status_code == 422 and "reason" in refuse.json["error"]["fields"]
    stale = client.post(
        url, json={"action": "approve", "version": 0}, headers=bearer(session, people["loos_official"])
    )
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    for official in ("loos_official", "mal_official"):
        ok = client.post(
            url, json={"action": "approve", "version": 1}, headers=bearer(session, people[official])
        )
        assert ok.status_code == 200
    detail = client.get(f"/api/v1/agreements/{agreement_id}", headers=mal).json
    assert detail["status"] == "approved" and len(detail["approvals"]) == 2
    assert detail["convention_url"].endswith(f"/agreements/{agreement_id}/convention")
    history = client.get(f"/api/v1/agreements/{agreement_id}/history", headers=mal).json["items"]
    assert [h["to_status"] for h in history][-2:] == ["pending_approval", "approved"]
    assert history[0]["action"] == "create" and history[0]["role"] == "technician"


def test_api_errors_are_shaped_and_never_500(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "draft")
    mal = bearer(session, people["mal_tech"])
    url = f"/api/v1/agreements/{agreement.id}/transitions"
    # `version` is required (issue 10): the request is otherwise valid, the transition is not.
    official = bearer(session, people["loos_official"])
    invalid = client.post(url, json={"action": "approve", "version": 0}, headers=official)
    assert invalid.status_code == 409 and invalid.json["error"]["code"] == "invalid_transition"
    unknown = client.post(url, json={"action": "fly"}, headers=mal)
    assert unknown.status_code == 422
    offer = make_listing(session, people["loos_tech"], "offer")
    bad = client.post(
        "/api/v1/agreements",
        json={
            "offer_id": offer.id,
            "terms": {"starts_on": "2030-05-03", "ends_on": "2030-05-01", "deposit_eur": -1},
        },
        headers=mal,
    )
    assert bad.status_code == 422 and bad.json["error"]["code"] == "validation_error"
    assert bad.json["error"]["fields"]
    end_before = client.post(
        "/api/v1/agreements",
        json={"offer_id": offer.id, "terms": {"starts_on": "2030-05-03", "ends_on": "2030-05-01"}},
        headers=mal,
    )
    assert end_before.status_code == 422 and "ends_on" in end_before.json["error"]["fields"]
    negative = client.post(
        "/api/v1/agreements",
        json={"offer_id": offer.id, "terms": {"lines": [{"description": "x", "quantity": -2}]}},
        headers=mal,
    )
    assert negative.status_code == 422
    cancel = make_agreement(session, people["mal_tech"], people["loos_tech"], "approved")
    no_reason = client.post(
        f"/api/v1/agreements/{cancel.id}/transitions", json={"action": "cancel", "version": 1}, headers=mal
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    assert client.get("/api/v1/agreements/999999", headers=mal).status_code == 404


def test_only_parties_and_admins_read_an_agreement_through_the_api(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    for name, expected in [
        ("mal_tech", 200),
        ("loos_official", 200),
        ("admin", 200),
        ("mene_official", 403),
        ("loos_actor", 403),
    ]:
        headers = bearer(session, people[name])
        assert client.get(f"/api/v1/agreements/{agreement.id}", headers=headers).status_code == expected, name
        assert (
            client.get(f"/api/v1/agreements/{agreement.id}/history", headers=headers).status_code == expected
        )
    listed = client.get(
        "/api/v1/agreements?status=proposed", headers=bearer(session, people["mene_official"])
    ).json
    assert listed["total"] == 0 and listed["items"] == []
    listed = client.get(
        "/api/v1/agreements?status=proposed&per_page=5", headers=bearer(session, people["loos_tech"])
    ).json
    assert [i["id"] for i in listed["items"]] == [agreement.id] and listed["per_page"] == 5
    admin_view = client.get(
        f"/api/v1/agreements/{agreement.id}", headers=bearer(session, people["admin"])
    ).json
    assert admin_view["allowed_actions"] == []
    assert client.get("/api/v1/agreements").status_code == 401


def test_the_openapi_document_describes_the_agreement_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/agreements", "/api/v1/agreements/{agreement_id}/transitions"} <= set(paths)


def test_the_page_shows_only_the_actions_the_user_may_take(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    login(client, people["loos_tech"])
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f"/agreements/{agreement.id}/actions/cancel" in page
    assert f"/agreements/{agreement.id}/actions/approve" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, people["loos_official"])
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f"/agreements/{agreement.id}/actions/approve" in page
    assert f"/agreements/{agreement.id}/actions/refuse" in page
    queue = client.get("/agreements/approvals").get_data(as_text=True)
    assert f"/agreements/{agreement.id}" in queue


def test_an_official_approves_through_the_page_with_csrf(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    login(client, people["loos_official"])
    path = f"/agreements/{agreement.id}"
    token = csrf_token(client, path)
    missing = client.post(f"{path}/actions/refuse", data={"refuse-csrf_token": token, "refuse-version": "1"})
    assert missing.status_code == 422
    response = client.post(
        f"{path}/actions/approve",
        data={
            "approve-csrf_token": token,
            "approve-version": "1",
            "approve-decision_kind": "arrete",
            "approve-decision_reference": "Arrêté 12",
            "approve-decision_date": "2026-04-12",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Agreement, agreement.id).approvals[0].decision_reference == "Arrêté 12"
    page = client.get(path).get_data(as_text=True)
    assert "Arrêté 12" in page
    assert "Loos-en-Gohelle\u00a0: validée" in page  # French punctuation, English's in English
    assert "Loos-en-Gohelle: approved" in client.get(path, headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending_approval", ["Loos-en-Gohelle : validation attendue", "Malaunay : validation attendue"]),
        ("approved", ["Fournisseur : signature attendue", "Bénéficiaire : signature attendue"]),
        ("completed", ["Fournisseur : évaluation attendue", "Bénéficiaire : évaluation attendue"]),
        ("signed", []),
    ],
)
def test_the_page_names_whom_the_agreement_waits_for(client, session, people, status, expected):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], status)
    login(client, people["loos_tech"])
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    found = re.findall(r'class="[^"]*agreement-awaited[^"]*">([^<]*)<', page)
    assert [html.unescape(x).replace("\u00a0", " ") for x in found] == expected
    awaiting = client.get(
        f"/api/v1/agreements/{agreement.id}", headers=bearer(session, people["loos_tech"])
    ).json["awaiting"]
    both = ["provider", "beneficiary"]
    assert awaiting == {
        "approvals": ["62528", "76402"] if status == "pending_approval" else [],
        "signatures": both if status == "approved" else [],
        "evaluations": both if status == "completed" else [],
    }


def test_non_parties_get_403_on_pages_and_admins_can_read(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "approved")
    login(client, people["mene_official"])
    assert client.get(f"/agreements/{agreement.id}").status_code == 403
    assert client.get(f"/agreements/{agreement.id}/convention").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, people["admin"])
    assert client.get(f"/agreements/{agreement.id}").status_code == 200
    convention = client.get(f"/agreements/{agreement.id}/convention")
    assert convention.status_code == 200
    assert "signature-block" in convention.get_data(as_text=True)


def test_creating_from_a_listing_through_the_page(client, session, people):
    offer = make_listing(session, people["loos_tech"], "offer", title="Barnum 5x8")
    login(client, people["mal_tech"])
    page = client.get(f"/agreements/new?offer_id={offer.id}").get_data(as_text=True)
    assert "Barnum 5x8" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": token,
        "lines-0-description": "Barnum 5x8",
        "lines-0-quantity": "2",
        "lines-0-unit": "u",
        "lines-1-description": "Lestage",
        "lines-1-quantity": "8",
        "lines-1-unit": "sacs",
        "starts_on": "2030-07-01",
        "ends_on": "2030-06-01",
        "kind": "loan",
    }
    rejected = client.post(f"/agreements/new?offer_id={offer.id}", data=form)
    assert rejected.status_code == 200 and "is-invalid" in rejected.get_data(as_text=True)
    form["ends_on"] = "2030-07-03"
    created = client.post(f"/agreements/new?offer_id={offer.id}", data=form)
    assert created.status_code == 302
    shown = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Barnum 5x8" in shown and "Lestage × 8" in shown
    assert client.get("/agreements").status_code == 200
    assert client.get("/").status_code == 200


def _queries_for(client, connection, path: str) -> int:
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return len(statements)


def test_the_agreement_list_costs_the_same_queries_for_two_rows_or_six(client, session, connection, people):
    """Parties and titles of a page are loaded together, not one query per agreement."""
    login(client, people["mal_tech"])
    for _ in range(2):
        make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    with_two = _queries_for(client, connection, "/agreements")
    for _ in range(4):
        make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    assert _queries_for(client, connection, "/agreements") == with_two
