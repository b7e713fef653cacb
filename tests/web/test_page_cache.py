"""The page cache of the hot logged-in pages (page_cache.py), through real HTTP on both databases.

Each test makes a change that no audit event records (a plain UPDATE) to see whether a page came
from the cache, then checks what must turn it into a miss: any audit event, a write by the same
session, time, a pending flash message, and another session.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from sqlalchemy import text

from mutualisation.audit.services import record
from tests.builders import csrf_token, login, make_listing, make_user


def _cached_app(engine, session_factory, tmp_path, **page_cache):
    from mutualisation.app import create_app

    application = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "WTF_CSRF_ENABLED": True,
            "SECRET_KEY": "page-cache-tests-share-one-secret-key",  # as every worker of a server does
            "page_cache": {"seconds": 30, "store": "memory://", **page_cache},
        }
    )
    application.extensions["mutualisation.sessions"] = session_factory
    return application


@pytest.fixture
def cached_client(engine, session_factory, tmp_path):
    return _cached_app(engine, session_factory, tmp_path).test_client()


def _rename_quietly(session, listing, title: str) -> None:
    """A change no use case made: no audit event, so only the cache's other rules can reveal it."""
    session.execute(text("UPDATE listings SET title = :t WHERE id = :id"), {"t": title, "id": listing.id})
    session.flush()


def _assert_cached(session, client, user, path: str) -> None:
    """Proof that `path` comes from the cache for this client (else the checks that follow would
    hold without any cache): the user's name, changed quietly, still shows its old value."""
    shown = _page(client, path)
    assert user.name in shown
    session.execute(
        text("UPDATE users SET name = :n WHERE id = :id"), {"n": "Nom changé en douce", "id": user.id}
    )
    session.flush()
    again = _page(client, path)
    assert user.name in again and "Nom changé en douce" not in again
    session.execute(text("UPDATE users SET name = :n WHERE id = :id"), {"n": user.name, "id": user.id})
    session.flush()


def _log_in(client, user) -> None:
    """Log in and read the welcome message: a pending flash message keeps pages out of the cache."""
    login(client, user)
    _page(client, "/")


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_page_comes_from_the_cache_until_an_audit_event_is_recorded(cached_client, session):
    owner = make_user(session, "technician")
    listing = make_listing(session, owner, title="Podium avant")
    _log_in(cached_client, owner)
    assert "Podium avant" in _page(cached_client, f"/listings/{listing.id}")

    _rename_quietly(session, listing, "Podium après")
    assert "Podium avant" in _page(cached_client, f"/listings/{listing.id}")  # served from the cache

    record(session, None, "test.change", "listing", listing.id)
    session.flush()
    assert "Podium après" in _page(cached_client, f"/listings/{listing.id}")


def test_a_write_by_the_same_session_is_seen_at_once_even_unaudited(cached_client, session):
    owner = make_user(session, "technician")
    listing = make_listing(session, owner, title="Broyeur avant")
    _log_in(cached_client, owner)
    _assert_cached(session, cached_client, owner, f"/listings/{listing.id}")

    _rename_quietly(session, listing, "Broyeur après")
    token = csrf_token(cached_client, "/notifications")
    assert cached_client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 302

    assert "Broyeur après" in _page(cached_client, f"/listings/{listing.id}")


def test_time_alone_ends_a_cached_page(engine, session_factory, tmp_path, session):
    client = _cached_app(engine, session_factory, tmp_path, seconds=1).test_client()
    owner = make_user(session, "technician")
    listing = make_listing(session, owner, title="Nacelle avant")
    _log_in(client, owner)
    _page(client, f"/listings/{listing.id}")
    _rename_quietly(session, listing, "Nacelle après")

    time.sleep(1.2)

    assert "Nacelle après" in _page(client, f"/listings/{listing.id}")


def test_a_flash_message_is_shown_once_and_never_replayed(cached_client, session):
    owner = make_user(session, "technician")
    _log_in(cached_client, owner)
    _assert_cached(session, cached_client, owner, "/")
    with cached_client.session_transaction() as browser_session:
        browser_session["_flashes"] = [("success", "Message unique du test")]

    assert "Message unique du test" in _page(cached_client, "/")
    assert "Message unique du test" not in _page(cached_client, "/")
    assert "Message unique du test" not in _page(cached_client, "/")


def test_each_session_gets_its_own_page_and_csrf_token(engine, session_factory, tmp_path, session):
    application = _cached_app(engine, session_factory, tmp_path)
    first, second = application.test_client(), application.test_client()
    owner = make_user(session, "technician")
    _log_in(first, owner)
    _log_in(second, owner)  # its welcome message read: its next pages can be cached
    tokens = []
    for client in (first, second):
        _assert_cached(session, client, owner, "/agreements")
        page = _page(client, "/agreements")  # the cached copy
        tokens.append(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))

    assert tokens[0] != tokens[1]
    # The token inside a cached page still works for its own session (here: logging out).
    assert first.post("/logout", data={"csrf_token": tokens[0]}).status_code == 302


def test_visitors_and_other_users_never_get_someone_elses_page(cached_client, session):
    owner = make_user(session, "technician", name="Alice Technicienne")
    other = make_user(session, "technician", territory_code="76410", name="Bruno Voisin")
    _log_in(cached_client, owner)
    assert "Alice Technicienne" in _page(cached_client, "/")
    _assert_cached(session, cached_client, owner, "/")
    cached_client.post("/logout", data={"csrf_token": csrf_token(cached_client, "/")})

    assert "Alice Technicienne" not in _page(cached_client, "/")  # the visitors' landing page
    _log_in(cached_client, other)
    page = _page(cached_client, "/")
    assert "Bruno Voisin" in page and "Alice Technicienne" not in page


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping())
    except redis.RedisError:
        return False


def test_a_shared_redis_store_serves_every_worker(engine, session_factory, tmp_path, session):
    """Two apps stand for two workers: a page one of them cached is served by the other."""
    if not _redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("Redis is expected at 127.0.0.1:6379 in CI")
        pytest.skip("no Redis at 127.0.0.1:6379")
    import redis

    redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    store = {"store": "redis://127.0.0.1:6379/15"}
    worker_a = _cached_app(engine, session_factory, tmp_path, **store)
    worker_b = _cached_app(engine, session_factory, tmp_path, **store)
    owner = make_user(session, "technician")
    listing = make_listing(session, owner, title="Barnum avant")
    client = worker_a.test_client()
    _log_in(client, owner)
    _page(client, f"/listings/{listing.id}")
    _rename_quietly(session, listing, "Barnum après")

    # The same browser session (its cookie) reaching the other worker gets the shared copy.
    client.application = worker_b
    try:
        assert "Barnum avant" in _page(client, f"/listings/{listing.id}")
    finally:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()


def test_with_the_cache_off_no_page_reads_the_content_version_nor_marks_a_write(app, client, session):
    """`seconds = 0` (the test settings): no lookup of the newest audit event on any GET, and a
    write by the session leaves no cache marker in its cookie."""
    versions_read = []
    real_version = app.extensions["mutualisation.content_version"]
    app.extensions["mutualisation.content_version"] = lambda: versions_read.append(1) or real_version()
    owner = make_user(session, "technician")
    listing = make_listing(session, owner, title="Tente pliante")
    _log_in(client, owner)
    assert "Tente pliante" in _page(client, f"/listings/{listing.id}")
    _page(client, "/agreements")
    token = csrf_token(client, "/notifications")
    assert client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 302

    assert versions_read == []
    with client.session_transaction() as browser_session:
        assert "_page_cache_mark" not in browser_session


def test_with_the_cache_on_a_cached_page_reads_the_content_version(
    engine, session_factory, tmp_path, session
):
    """The counterpart of the test above, so that it cannot pass with the version never read."""
    application = _cached_app(engine, session_factory, tmp_path)
    versions_read = []
    real_version = application.extensions["mutualisation.content_version"]
    application.extensions["mutualisation.content_version"] = lambda: (
        versions_read.append(1) or real_version()
    )
    client = application.test_client()
    owner = make_user(session, "technician")
    _log_in(client, owner)
    _page(client, "/agreements")
    token = csrf_token(client, "/notifications")
    client.post("/notifications/read-all", data={"csrf_token": token})

    assert versions_read
    with client.session_transaction() as browser_session:
        assert browser_session.get("_page_cache_mark")
