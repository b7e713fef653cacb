"""Issue 10 (items 10 and 13): a changed password ends every other way in; names never leak e-mails."""

from __future__ import annotations

from mutualisation.accounts.models import ApiToken
from mutualisation.accounts.services import create_token
from mutualisation.db import transaction
from tests.builders import PASSWORD, csrf_token, login, make_listing, make_user

NEW_PASSWORD = "a brand new passphrase 42"


def _bearer(clear: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {clear}"}


def test_a_password_change_revokes_every_api_token_and_ends_the_other_sessions(app, client, session):
    user = make_user(session, "technician")
    with transaction(session):
        _t1, first = create_token(session, user, "script")
        _t2, second = create_token(session, user, "laptop")
    assert client.get("/api/v1/me", headers=_bearer(first)).status_code == 200
    other_browser = app.test_client()
    login(other_browser, user)
    login(client, user)

    response = client.post(
        "/profile",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(client, "/profile"),
        },
    )

    assert response.status_code == 302
    for clear in (first, second):
        assert client.get("/api/v1/me", headers=_bearer(clear)).status_code == 401
    assert all(t.revoked_at is not None for t in session.query(ApiToken).filter_by(user_id=user.id))
    assert other_browser.get("/profile").status_code == 302  # sent back to the login page
    assert client.get("/profile").status_code == 200  # the browser that changed it stays in


def test_a_user_without_a_name_is_shown_by_role_and_town_never_by_e_mail(client, session):
    nameless = make_user(session, "technician", "76402", name="", email="secret.person@example.org")
    reader = make_user(session, "official", "62528")
    listing = make_listing(session, nameless, status="published")
    with transaction(session):
        _token, clear = create_token(session, reader, "tests")

    listed = client.get("/api/v1/listings", headers=_bearer(clear)).get_json()
    owners = [item["owner"]["name"] for item in listed["items"] if item["id"] == listing.id]
    one = client.get(f"/api/v1/listings/{listing.id}", headers=_bearer(clear)).get_json()
    login(client, reader)
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)

    assert owners and "secret.person" not in owners[0] and "Malaunay" in owners[0]
    assert "secret.person" not in str(one) and "Malaunay" in one["owner"]["name"]
    assert "secret.person" not in page and "Technicien·ne – Malaunay" in page


def test_a_blank_name_is_no_name():
    from mutualisation.accounts.names import display_name

    assert display_name("  Camille  Martin ", "official", "Le Mené") == "Camille Martin"
    assert display_name(" \t", "official", "Le Mené") == "Elected official – Le Mené"
    assert display_name(None, "admin", None) == "Network facilitator"
