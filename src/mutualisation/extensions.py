"""Flask extensions, created once and bound in create_app."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import flask_wtf.i18n
from babel import support
from flask import current_app, request
from flask_babel import Babel, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from wtforms.i18n import messages_path

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# The client address is the socket's peer: X-Forwarded-For only counts once TRUSTED_PROXIES says how
# many proxies stand in front (app.py then installs ProxyFix); otherwise anyone could pick their IP.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


@functools.lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _wtforms_translations() -> support.NullTranslations | None:
    """Flask-WTF's `_get_translations`, same answer, with the catalogue read once per process."""
    if not request or "babel" not in current_app.extensions:
        return None
    return _wtforms_catalogue(str(get_locale()))


def cache_wtforms_translations() -> None:
    """Flask-WTF reads and parses WTForms' .mo catalogue from disk again in every request that
    builds a form (its cache lives on the request): about 1 ms per page with a form, the dashboard
    and the listing page included (bench/bench_pages.py). The catalogues never change while the
    process runs, so one parsed copy per locale serves every request. Flask-WTF has no setting for
    this; its module-level lookup is the one place to plug it in."""
    flask_wtf.i18n._get_translations = _wtforms_translations


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def account_key() -> str:
    """The rate-limit key of the account a login names, whatever address it comes from.

    Per-IP limits alone let an attacker spread guesses over many addresses; this key counts the
    guesses against one account. Without an e-mail in the request, the address is the key.
    """
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str) or not email.strip():
        return "address:" + (get_remote_address() or "")
    return "account:" + email.strip().lower()[:254]


def is_shared_store(storage_uri: str) -> bool:
    """`memory://` lives in one process: each worker would count on its own."""
    return not storage_uri.startswith("memory://")


def rate_limit_store_warning(config: Mapping[str, Any], workers: int) -> str | None:
    """The start-up warning of a multi-process server whose rate limits are not shared."""
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if workers <= 1 or is_shared_store(uri) or not config.get("RATELIMIT_ENABLED", True):
        return None
    return (
        f"WARNING: rate limits are kept in process memory ({uri}) and {workers} workers each count "
        f"on their own: a client gets up to {workers} times the configured limits. Set "
        "MUTUALISATION_RATELIMIT_STORAGE_URI to a shared store, e.g. redis://127.0.0.1:6379."
    )
