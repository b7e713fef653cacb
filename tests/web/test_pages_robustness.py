"""Every HTML page answers each role, and garbage in the query string, without a 500."""

from __future__ import annotations

import pytest

from tests.builders import login, make_user

GARBAGE = {
    "page": "abc",
    "per_page": "-3",
    "kind": "<x>",
    "category": "nope",
    "near": "99999",
    "radius_km": "1e309",
    "q": "é" * 300,
    "status": "[]",
    "sort": "sideways",
    "lang": "xx",
}


def _pages(app):
    for rule in app.url_map.iter_rules():
        if (
            "GET" in rule.methods
            and not rule.arguments
            and not rule.rule.startswith(("/api/", "/static", "/assets"))
        ):
            yield rule.rule


@pytest.mark.parametrize("role", ["technician", "official", "actor", "admin"])
def test_pages_never_answer_500_for_any_role(app, client, session, role):
    user = make_user(session, role)
    login(client, user)
    seen = 0
    for path in _pages(app):
        for query in ({}, GARBAGE):
            response = client.get(path, query_string=query)
            assert response.status_code < 500, (role, path, query, response.status_code)
            seen += 1
    assert seen > 20


def test_anonymous_visitors_are_sent_to_the_login_page_not_an_error(app, client):
    for path in _pages(app):
        response = client.get(path)
        assert response.status_code in (200, 302, 401, 403, 404), (path, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"] or path.startswith("/lang"), path
