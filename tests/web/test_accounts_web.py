from __future__ import annotations

import re

from mutualisation.accounts.services import create_token, revoke_token
from tests.builders import PASSWORD, csrf_token, login, make_user


def test_login_page_is_french_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Se connecter" in html and "Mot de passe" in html


def test_login_page_follows_accept_language_english(client):
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html


def test_technician_logs_in_and_sees_the_dashboard(client, session):
    user = make_user(session, "technician")
    response = login(client, user)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Bonjour" in home and user.display_name in home


def test_wrong_password_and_unknown_email_give_the_same_answer(client, session):
    user = make_user(session)
    wrong_password = login(client, user, password="not the password").get_data(as_text=True)
    token = csrf_token(client, "/login")
    unknown = client.post(
        "/login", data={"email": "nobody@example.org", "password": "x" * 12, "csrf_token": token}
    ).get_data(as_text=True)
    assert "Courriel ou mot de passe incorrect." in wrong_password
    assert "Courriel ou mot de passe incorrect." in unknown


def test_login_without_csrf_token_is_refused_with_a_french_message(client, session):
    user = make_user(session)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Votre formulaire a expiré" in response.get_data(as_text=True)


def test_logout_really_ends_the_session_even_for_a_copied_cookie(client, app, session):
    user = make_user(session)
    login(client, user)
    stolen = app.test_client()
    for cookie in client._cookies.values():
        stolen.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    assert stolen.get("/profile").status_code == 200
    token = csrf_token(client, "/profile")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert stolen.get("/profile").status_code == 302  # the copy no longer works


def test_security_headers_are_set(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests
    https = client.get("/login", base_url="https://localhost")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_every_admin_page_refuses_other_roles(client, session):
    for role in ("technician", "official", "actor"):
        user = make_user(session, role)
        login(client, user)
        assert client.get("/admin/users").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})
    admin = make_user(session, "admin")
    login(client, admin)
    assert client.get("/admin/users").status_code == 200


def test_the_admin_users_page_invites_people_instead_of_typing_their_password(client, session):
    admin = make_user(session, "admin")
    login(client, admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'type="password"' not in html and 'action="/invitations/new"' in html
    token = csrf_token(client, "/profile")
    refused = client.post(
        "/admin/users",
        data={"csrf_token": token, "email": "new@example.org", "role": "technician", "territory": "76402"},
    )
    assert refused.status_code == 405
    query = "email=new@example.org&role=official&territory=76402&next=//evil.org"
    answer = client.get(f"/invitations/new?{query}")
    assert answer.status_code == 302
    target = answer.headers["Location"]
    assert target.startswith("/invitations?") and "evil" not in target
    form = client.get(target).get_data(as_text=True)
    assert 'value="new@example.org"' in form and 'value="76402"' in form
    selected = r'<option[^>]*selected[^>]*value="official"|<option[^>]*value="official"[^>]*selected'
    assert re.search(selected, form)


def test_api_token_flow_and_revocation(client, session):
    user = make_user(session)
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["territory"]["code"] == "62528"
    _, other = create_token(session, user, "script")
    revoke_token(session, user, user.tokens[-1].id)
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"


def test_api_token_with_wrong_password_is_401_json(client, session):
    user = make_user(session)
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_validation_errors_are_422_with_field_messages(client):
    response = client.post("/api/v1/auth/tokens", json={"email": "a@b.c"})
    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["fields"]


def test_unknown_insee_code_is_404_json(client):
    response = client.get("/api/v1/territories/00000")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_territory_search_ignores_accents_case_and_hyphens(client, session):
    from tests.builders import make_territory

    make_territory(session, "62528")
    for q in ("loos en gohelle", "LOOS-EN-GOHELLE", "62750", "62528"):
        items = client.get("/api/v1/territories", query_string={"q": q}).get_json()["items"]
        assert [t["code"] for t in items] == ["62528"], q


def test_malformed_pagination_is_422(client):
    response = client.get("/api/v1/territories?q=loos&per_page=500")
    assert response.status_code == 422
    assert "per_page" in response.get_json()["error"]["fields"]


def test_openapi_document_describes_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/me" in spec["paths"] and "/api/v1/auth/tokens" in spec["paths"]
