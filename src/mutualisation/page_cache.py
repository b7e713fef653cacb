"""Per-session caching of the hot logged-in pages: the dashboard, a listing, the agreements list.

Why: those pages gather several domains' data for one person (four dashboard panels, a listing with
its suggestions and history) and cost five to eight times what `/login` costs to build, while the
same person reloads them far more often than anything changes. Rendering them again for every
reload is what made them slow under load (bench/bench_pages.py).

What keeps a cached page true:
- **Any state change, by anyone.** Every state change leaves an audit event (a rule of the
  project, tested per use case), so the key holds the newest audit event's id: the first change
  anywhere makes every cached page a miss. `create_app` installs how that id is read as
  `app.extensions["mutualisation.content_version"]`, so this module imports no domain.
- **What changes without an audit event** (time passing: "expires in 3 days"; the nightly full
  recompute's suggestions) waits at most `[page_cache] seconds`.
- **The session.** The key holds the user, their session token and CSRF secret, the language and
  the full path: a cached page only ever goes back to the browser session that caused it, and the
  CSRF tokens inside it stay that session's own.
- **One-time content.** Nothing is read from or written to the cache while flash messages are
  pending, and a render that changed the session is not stored, so a message is never shown twice.
- **The session's own writes**, even those no audit event records (reading a notification): each
  write by the session changes a marker in its cookie, which is part of the key.
  Only the body, status and content type are kept: never a cookie.

`[page_cache] seconds = 0` turns it off (the test settings do, except in the cache's own tests).
The store is per process (`memory://`) or shared by every worker (`redis://…`, as in production).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request, session
from flask_babel import get_locale
from flask_caching import Cache
from flask_login import current_user

from .settings import settings_of

cache = Cache()

# A cached page never outlives this, whatever the settings say: it bounds what time alone changes.
_MAX_SECONDS = 300
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE_MARK = "_page_cache_mark"


def init_page_cache(app: Flask, content_version: Callable[[], int | None]) -> None:
    """Bind the store named by `[page_cache] store` and the reader of the content version."""
    conf = settings_of(app).page_cache
    config: dict[str, Any] = {"CACHE_DEFAULT_TIMEOUT": min(conf.seconds, _MAX_SECONDS)}
    if conf.store.startswith("redis://"):
        config.update(
            CACHE_TYPE="RedisCache", CACHE_REDIS_URL=conf.store, CACHE_KEY_PREFIX="mutualisation:page:"
        )
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=conf.max_entries)
    cache.init_app(app, config=config)
    app.extensions["mutualisation.content_version"] = content_version
    if conf.seconds:  # with the cache off, no marker to keep: a write's cookie stays as it was
        app.after_request(_mark_own_write)


def _mark_own_write(response: Response) -> Response:
    """A write by this session turns its cached pages into misses, audited or not (reading a
    notification, say): the marker travels in the session cookie, so every worker sees it."""
    if request.method not in _SAFE_METHODS and current_user and current_user.is_authenticated:
        session[_WRITE_MARK] = secrets.token_hex(4)
    return response


def cached_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve `view`'s HTML from the cache for the same session, until anything changes."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = _key()
        if key is None:
            return view(*args, **kwargs)
        stored = cache.get(key)
        if stored is not None:
            body, status, mimetype = stored
            return Response(body, status=status, mimetype=mimetype)
        response = current_app.make_response(view(*args, **kwargs))
        if _storable(response):
            cache.set(key, (response.get_data(), response.status_code, response.mimetype))
        return response

    return wrapper


def _key() -> str | None:
    """The cache key of this request, or None when this request must neither read nor fill it."""
    if not settings_of(current_app).page_cache.seconds or request.method != "GET":
        return None
    if not current_user or not current_user.is_authenticated or session.get("_flashes"):
        return None
    version = current_app.extensions["mutualisation.content_version"]()
    parts = (
        str(current_user.get_id()),
        str(session.get("csrf_token", "")),
        str(session.get(_WRITE_MARK, "")),
        str(get_locale()),
        request.full_path,
        str(version),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not session.modified
        and not response.headers.get("Set-Cookie")
    )
