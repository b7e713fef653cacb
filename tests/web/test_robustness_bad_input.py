"""Bad input is refused at the door, never a 500 (issue 10, item 8).

Each class is tried across every endpoint that can receive it, taken from the OpenAPI document and
the URL map, so that an endpoint added later is covered too.
"""

from __future__ import annotations

import contextlib
import html
import re

import pytest
from sqlalchemy import text

from mutualisation.accounts.services import create_token
from mutualisation.web import db_session
from tests.builders import login, make_user

UNSTORABLE = ["nul\x00byte", "lone \ud800 surrogate"]
HUGE_PAGES = ["1000001", str(10**12), str(2**63), "9" * 40]


@pytest.fixture
def bearer(session):
    _token, clear = create_token(session, make_user(session, "technician"), "robustness")
    return {"Authorization": f"Bearer {clear}"}


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield path, method, operation


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_the_public_territory_lookup_refuses_a_nul_byte_with_a_json_400(client):
    response = client.get("/api/v1/territories/%00")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("bad", UNSTORABLE)
def test_every_api_operation_refuses_unstorable_text_in_path_query_and_body(client, bearer, bad):
    checked = 0
    for path, method, operation in _operations(client):
        # A URL cannot carry a lone surrogate (undecodable bytes become U+FFFD): NUL only there.
        in_url = "nul\x00byte"
        query = {p["name"]: in_url for p in operation.get("parameters", []) if p.get("in") == "query"}
        urls = [(_fill(path, "1"), query)] if query else []
        if "{" in path:
            urls.append((_fill(path, "nul%00byte"), {}))
        for url, args in urls:
            response = client.open(url, method=method.upper(), headers=bearer, query_string=args)
            assert response.status_code == 400, (method, url, args, response.status_code)
            checked += 1
        if method in ("post", "patch", "put"):
            body = {"title": bad, "comment": bad, "reason": bad, "email": bad, "lines": [{"unit": bad}]}
            response = client.open(_fill(path, "1"), method=method.upper(), headers=bearer, json=body)
            assert response.status_code == 400, (method, path, response.status_code)
            assert response.get_json()["error"]["code"] == "validation_error"
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(client, bearer, opening, closing):
    for depth in (40, 5_000, 200_000):
        body = opening * depth + "1" + closing * depth
        for url in ("/api/v1/listings", "/api/v1/agreements", "/api/v1/auth/tokens"):
            response = client.post(url, data=body, content_type="application/json", headers=bearer)
            assert response.status_code == 400, (url, depth, response.status_code)
            assert "error" in response.get_json()


def test_every_html_form_refuses_a_nul_byte_with_the_french_error_page(app, client, session):
    login(client, make_user(session, "technician"))
    posted = 0
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            url = re.sub(r"<[^>]+>", "1", rule.rule)
            response = client.post(url, data={"title": "x\x00y", "next": "/", "csrf_token": "x"})
            assert response.status_code == 400, (url, response.status_code)
            assert '<html lang="fr"' in response.get_data(as_text=True)
            posted += 1
    assert posted > 10


def test_every_api_list_bounds_the_page_number(client, bearer):
    lists = [
        (path, op)
        for path, method, op in _operations(client)
        if method == "get" and any(p["name"] == "page" for p in op.get("parameters", []))
    ]
    assert len(lists) >= 4
    for path, _operation in lists:
        for page in HUGE_PAGES:
            response = client.get(_fill(path, "1"), query_string={"page": page}, headers=bearer)
            assert response.status_code in (404, 422), (path, page, response.status_code)


def test_every_html_list_bounds_the_page_number(app, client, session):
    login(client, make_user(session, "admin"))
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/api/", "/static")):
            for page in HUGE_PAGES:
                response = client.get(rule.rule, query_string={"page": page})
                assert response.status_code < 500, (rule.rule, page, response.status_code)


@pytest.fixture
def broken_app(app):
    """The app with one more route that breaks its database session the way a failed statement does."""

    @app.route("/_test/broken-session")
    def broken_session():
        # On PostgreSQL the transaction is then aborted: any further query on it fails.
        with contextlib.suppress(Exception):
            db_session().execute(text("SELECT * FROM no_such_table_at_all"))
        raise RuntimeError("a bug after a failed statement")

    return app


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_500_page_is_our_french_page_with_security_headers_even_after_a_failed_statement(
    broken_app, session
):
    client = broken_app.test_client()
    login(client, make_user(session, "technician"))
    response = client.get("/_test/broken-session")
    assert response.status_code == 500
    page = html.unescape(response.get_data(as_text=True))
    assert '<html lang="fr"' in page
    assert "Une erreur s'est produite de notre côté" in page
    assert "Déconnexion" in page or "logout" in page  # the full layout, the user still known
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"
    # The session is usable again for the next request.
    assert client.get("/").status_code == 200


def test_an_api_500_after_a_failed_statement_is_json_in_the_api_shape(broken_app, session):
    client = broken_app.test_client()
    response = client.get("/_test/broken-session", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert "Content-Security-Policy" in response.headers
