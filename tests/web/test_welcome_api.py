"""The JSON doors of issue 14: password reset, invitations, join requests (API.md contract)."""

from __future__ import annotations

import re
from pathlib import Path

from mutualisation.accounts.services import create_token
from tests.builders import make_territory, make_user

NEW_PASSWORD = "a brand new passphrase"


def bearer(session, user) -> dict:
    _token, clear = create_token(session, user, "test")
    return {"Authorization": f"Bearer {clear}"}


def last_link(app, prefix: str) -> str:
    folder = Path(app.config["INSTANCE_PATH"]) / "mail"
    newest = max(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return re.search(rf"{prefix}/([A-Za-z0-9_-]+)", newest.read_text()).group(1)


def test_password_reset_answers_202_for_known_and_unknown_emails(client, session, app):
    user = make_user(session)
    for email in (user.email, "nobody@example.org"):
        response = client.post("/api/v1/auth/password-reset", json={"email": email})
        assert response.status_code == 202
    assert len(list((Path(app.config["INSTANCE_PATH"]) / "mail").glob("*.eml"))) == 1


def test_password_reset_confirm_sets_the_password_and_revokes_every_token(client, session, app):
    user = make_user(session)
    headers = bearer(session, user)
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    token = last_link(app, "/reset")
    response = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    login = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 201


def test_password_reset_confirm_gives_field_messages_for_a_bad_token_or_weak_password(client, session, app):
    bad = client.post("/api/v1/auth/password-reset/confirm", json={"token": "nope", "password": NEW_PASSWORD})
    assert bad.status_code == 422 and "token" in bad.get_json()["error"]["fields"]
    user = make_user(session)
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    weak = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": last_link(app, "/reset"), "password": "short"}
    )
    body = weak.get_json()["error"]
    assert weak.status_code == 422 and body["code"] == "validation_error"
    assert "10" in body["fields"]["password"][0]
    assert client.post("/api/v1/auth/password-reset/confirm", json={}).status_code == 422


def test_invitations_are_created_listed_and_revoked_through_the_api(client, session, app):
    admin = make_user(session, "admin")
    make_territory(session, "62057", name="Audruicq")
    headers = bearer(session, admin)
    created = client.post(
        "/api/v1/invitations",
        json={"email": "tech@audruicq.fr", "role": "technician", "territory": "62057"},
        headers=headers,
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["status"] == "pending" and body["territory"]["code"] == "62057"
    assert last_link(app, "/invitations")
    listed = client.get("/api/v1/invitations", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["email"] == "tech@audruicq.fr"
    assert client.delete(f"/api/v1/invitations/{body['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/invitations", headers=headers).get_json()["items"][0]["status"] == "revoked"


def test_a_technician_may_not_invite_an_official_through_the_api(client, session):
    tech = make_user(session, "technician", "62528")
    response = client.post(
        "/api/v1/invitations",
        json={"email": "o@example.org", "role": "official", "territory": "62528"},
        headers=bearer(session, tech),
    )
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_invitations_need_a_caller_and_valid_fields(client, session):
    assert client.get("/api/v1/invitations").status_code == 401
    assert client.post("/api/v1/invitations", json={"email": "x@example.org"}).status_code == 401
    bad = client.post(
        "/api/v1/invitations",
        json={"email": "x", "role": "admin"},
        headers=bearer(session, make_user(session, "admin")),
    )
    assert bad.status_code == 422 and {"role", "territory"} <= set(bad.get_json()["error"]["fields"])


def test_anyone_may_send_a_join_request_and_the_facilitator_accepts_it(client, session):
    make_territory(session, "62057", name="Audruicq")
    response = client.post(
        "/api/v1/join-requests",
        json={"territory": "62057", "name": "Dominique", "email": "d@audruicq.fr", "motivation": "Partager"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and "email" not in body
    headers = bearer(session, make_user(session, "admin"))
    assert client.get("/api/v1/join-requests", headers=headers).get_json()["total"] == 1
    accepted = client.post(f"/api/v1/join-requests/{body['id']}/accept", headers=headers)
    assert accepted.status_code == 201 and accepted.get_json()["role"] == "technician"
    assert client.get("/api/v1/join-requests").status_code == 401


def test_a_join_request_with_bad_fields_is_a_422_with_field_messages(client):
    response = client.post(
        "/api/v1/join-requests", json={"territory": "00000", "name": "X", "email": "nope", "motivation": "M"}
    )
    assert response.status_code == 422
    assert {"territory", "email"} <= set(response.get_json()["error"]["fields"])


def _limited_client(engine, session_factory, tmp_path, **limits):
    from mutualisation.app import create_app

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "INSTANCE_PATH": str(tmp_path),
            "RATELIMIT_ENABLED": True,
            **limits,
        }
    )
    app.extensions["mutualisation.sessions"] = session_factory
    return app.test_client()


def test_password_reset_requests_are_rate_limited(engine, session_factory, tmp_path):
    client = _limited_client(engine, session_factory, tmp_path, PASSWORD_RESET_RATE_LIMIT="2 per minute")
    statuses = [
        client.post("/api/v1/auth/password-reset", json={"email": "a@example.org"}).status_code
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


def test_join_requests_are_rate_limited(engine, session_factory, session, tmp_path):
    make_territory(session, "62057", name="Audruicq")
    client = _limited_client(engine, session_factory, tmp_path, JOIN_REQUEST_RATE_LIMIT="1 per minute")
    body = {"territory": "62057", "name": "D", "email": "d@example.org", "motivation": "M"}
    assert client.post("/api/v1/join-requests", json=body).status_code == 201
    limited = client.post("/api/v1/join-requests", json={**body, "email": "e@example.org"})
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"


def test_visitors_list_published_public_listings_without_owners(client, session):
    from tests.builders import make_listing

    owner = make_user(session, "technician", name="Nom Secret")
    public = make_listing(session, owner, "offer", title="Broyeur public")
    make_listing(session, owner, "offer", title="Broyeur interne", network_only=True)
    make_listing(session, owner, "offer", title="Brouillon", status="draft")
    body = client.get("/api/v1/listings").get_json()
    assert [item["id"] for item in body["items"]] == [public.id]
    assert "owner" not in body["items"][0] and "Nom Secret" not in str(body)
    assert client.get("/api/v1/listings?status=draft&mine=true").get_json()["total"] == 1
    member = client.get("/api/v1/listings", headers=bearer(session, make_user(session, "actor"))).get_json()
    assert member["total"] == 2 and member["items"][0]["owner"]["name"] == "Nom Secret"


def test_a_listing_owner_keeps_a_listing_private_through_the_api(client, session):
    tech = make_user(session, "technician")
    headers = bearer(session, tech)
    created = client.post(
        "/api/v1/listings",
        json={
            "kind": "offer",
            "category": "equipment",
            "subcategory": "event_stage",
            "title": "Nacelle",
            "network_only": True,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["network_only"] is True
