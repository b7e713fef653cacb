"""Flask extensions, created once and bound in create_app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# The client address is the socket's peer: X-Forwarded-For only counts once TRUSTED_PROXIES says how
# many proxies stand in front (app.py then installs ProxyFix); otherwise anyone could pick their IP.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


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
