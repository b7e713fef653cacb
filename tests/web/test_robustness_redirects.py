"""No open redirect (issue 10, item 3): every route that follows a user-supplied `next` keeps the
visitor on this site, whatever trick the target uses.

The routes are not listed by hand: every HTML route is tried with a harmless marker target, and
those that follow it are then fed every malicious payload, so that a route added later is covered.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from mutualisation.listings.labels import WITHDRAWAL_REASON_LABELS
from mutualisation.web import safe_redirect_target
from tests.builders import PASSWORD, csrf_token, login, make_listing, make_notification, make_user

MARKER = "/listings/mine?from=redirect-test"
WITHDRAWAL_REASON = next(code for code in WITHDRAWAL_REASON_LABELS if code != "other")

MALICIOUS = [
    "//evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    " //evil.example",
    "\x01//evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "https:/\\evil.example",
    "/ /evil.example",
    "%2F%2Fevil.example",
]


def leaves_site(location: str) -> bool:
    """Where a browser would go: it drops tabs and newlines, trims controls, reads \\ as /."""
    normalised = re.sub(r"[\t\n\r]", "", location).strip("".join(chr(c) for c in range(0x21)))
    resolved = urljoin("http://localhost/here", normalised.replace("\\", "/"))
    parts = urlsplit(resolved)
    return parts.netloc != "localhost" or parts.scheme not in ("http", "https")


@pytest.mark.parametrize("payload", MALICIOUS)
def test_the_redirect_gate_refuses_every_off_site_target(payload):
    target = safe_redirect_target(payload, "/fallback")
    assert not leaves_site(target), (payload, target)


@pytest.mark.parametrize("payload", ["/listings/mine", "/agreements?status=draft", "/listings/3#photos"])
def test_the_redirect_gate_keeps_a_path_on_this_site(payload):
    assert safe_redirect_target(payload, "/fallback") == payload


def _fill(rule, ids: dict[str, object]) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(ids.get(m.group(1), "1")), rule.rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static", "/assets")) or rule.endpoint == "accounts.logout":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def _send(client, url: str, method: str, target: str, token: str):
    if method == "GET":
        return client.get(url, query_string={"next": target})
    data = {"next": target, "csrf_token": token, "reason": WITHDRAWAL_REASON}
    return client.post(url, query_string={"next": target}, data=data)


@pytest.fixture
def logged_in(app, client, session):
    user = make_user(session, "technician")
    listing = make_listing(session, user, status="draft")
    with app.test_request_context():
        notification = make_notification(session, user, link=MARKER)
    login(client, user)
    ids = {"listing_id": listing.id, "notification_id": notification.id, "code": "en", "user_id": user.id}
    return ids, csrf_token(client, "/listings/new")


def test_every_route_that_follows_next_refuses_off_site_targets(app, client, logged_in):
    ids, token = logged_in
    following = []
    for rule, method in _routes(app):
        response = _send(client, _fill(rule, ids), method, MARKER, token)
        if response.headers.get("Location", "").endswith(MARKER):
            following.append((rule, method))
    names = {rule.endpoint for rule, _ in following}
    # The routes known to honour `next` are found, so the sweep below is not empty by accident.
    assert {"core.set_language", "listings.publish", "listings.withdraw", "notifications.mark_read"} <= names
    for rule, method in following:
        for payload in MALICIOUS:
            response = _send(client, _fill(rule, ids), method, payload, token)
            location = response.headers.get("Location", "")
            assert not leaves_site(location), (rule.rule, method, payload, location)


@pytest.mark.parametrize("payload", MALICIOUS)
def test_logging_in_never_sends_the_user_off_site(client, session, payload):
    user = make_user(session, "official")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    response = client.post(
        "/login",
        query_string={"next": payload},
        data={"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302
    assert not leaves_site(response.headers["Location"]), response.headers["Location"]


def test_logging_in_follows_a_next_on_this_site(client, session):
    user = make_user(session, "official")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": "/agreements"},
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/agreements"
