"""create_app(settings=None): settings → database → extensions → domains → errors.

The domains come from the one list in mutualisation/domains.py: their blueprints, permissions,
layout entries and session hooks are applied here, in that list's order (docs/architecture.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import assets, core_views, formatting
from .accounts.services import load_session_user, user_for_token
from .api_base import api, api_settings, authenticate_api_request
from .audit.services import latest_event_id
from .db import make_engine, make_session_factory
from .declarations import Domain
from .domains import DOMAINS, configure_sessions, install_layout, install_notification_kinds, install_policies
from .extensions import babel, cache_wtforms_translations, csrf, limiter, login_manager
from .input_gate import install_input_gate
from .page_cache import init_page_cache
from .paths import resource_dir
from .security import install_security_headers
from .settings import load_typed_settings
from .storage import storage_for
from .web import acting_user, close_db_session, db_session
from .web_errors import register_error_handlers


def create_app(settings: dict[str, Any] | None = None, domains: tuple[Domain, ...] = DOMAINS) -> Flask:
    typed = load_typed_settings(settings)
    config = typed.as_config()
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=config["INSTANCE_PATH"],
        instance_relative_config=False,
    )
    app.config.update(config)
    app.extensions["mutualisation.settings"] = typed
    app.extensions["mutualisation.domains"] = domains
    app.config.update(api_settings())
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["PERMANENT_SESSION_LIFETIME_HOURS"])
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(resource_dir("translations"))
    if typed.core.TRUSTED_PROXIES:
        n = typed.core.TRUSTED_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    _init_database(app, domains)
    install_input_gate(app)
    _init_extensions(app)
    _register_blueprints(app, domains)
    formatting.install_filters(app)
    install_policies(domains)
    install_layout(domains)
    install_notification_kinds(domains)
    register_error_handlers(app)
    storage_for(app)  # an unknown STORAGE_BACKEND stops the start, not the first upload
    install_security_headers(app)
    return app


def _init_database(app: Flask, domains: tuple[Domain, ...]) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    sessions = make_session_factory(engine)
    configure_sessions(sessions, domains)
    app.extensions["mutualisation.engine"] = engine
    app.extensions["mutualisation.sessions"] = sessions
    app.teardown_appcontext(close_db_session)


def select_locale() -> str:
    languages = request.environ.get("mutualisation.languages") or ["fr", "en"]
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen is not None and chosen in languages:
        return chosen
    user = acting_user()
    if user is not None and user.locale in languages:
        return user.locale
    return request.accept_languages.best_match(languages) or "fr"


def _init_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    cache_wtforms_translations()
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(login_id: str):
        return load_session_user(db_session(), login_id)

    # web.api_user resolves Bearer tokens through this, so that web.py needs no import of accounts.
    app.extensions["mutualisation.token_user"] = user_for_token
    api.init_app(app)
    app.before_request(authenticate_api_request)
    init_page_cache(app, lambda: latest_event_id(db_session()))


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs, bounded to what a database integer holds: a larger id is a 404, not an overflow."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_DATABASE_INTEGER)
        super().__init__(url_map, *args, **kwargs)


# Ids are INTEGER columns (32 bits on PostgreSQL): a larger id in a URL is a 404 before any query,
# not an "integer out of range" (found by the OpenAPI fuzz).
MAX_DATABASE_INTEGER = 2**31 - 1


def _register_blueprints(app: Flask, domains: tuple[Domain, ...]) -> None:
    """The app's own pages and assets, then each domain's HTML and JSON blueprints."""
    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(core_views.bp)
    app.register_blueprint(assets.bp)
    for domain in domains:
        for blueprint in domain.blueprints:
            app.register_blueprint(blueprint)
        for api_blueprint in domain.api_blueprints:
            api.register_blueprint(api_blueprint)
            csrf.exempt(api_blueprint)  # API writes require a Bearer token instead (web.api_user)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
