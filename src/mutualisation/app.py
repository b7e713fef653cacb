"""create_app(settings=None): settings → database → extensions → blueprints → errors → CLI."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .api_base import api, api_settings, authenticate_api_request
from .db import make_engine, make_session_factory
from .extensions import babel, csrf, limiter, login_manager
from .input_gate import install_input_gate
from .paths import resource_dir
from .security import install_security_headers
from .settings import load_settings
from .storage import storage_for
from .web import close_db_session, db_session
from .web_errors import register_error_handlers

DOMAINS = (
    "accounts",
    "territories",
    "listings",
    "matching",
    "agreements",
    "impact",
    "notifications",
    "audit",
)


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    config = load_settings(settings)
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=config["INSTANCE_PATH"],
        instance_relative_config=False,
    )
    app.config.update(config)
    app.config.update(api_settings())
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["PERMANENT_SESSION_LIFETIME_HOURS"])
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(resource_dir("translations"))
    if config.get("TRUSTED_PROXIES"):
        n = int(config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    _init_database(app)
    install_input_gate(app)
    _init_extensions(app)
    _register_blueprints(app)
    register_error_handlers(app)
    storage_for(app)  # an unknown STORAGE_BACKEND stops the start, not the first upload
    install_security_headers(app)
    from .cli import register_cli

    register_cli(app)
    return app


def _init_database(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["mutualisation.engine"] = engine
    app.extensions["mutualisation.sessions"] = make_session_factory(engine)
    app.teardown_appcontext(close_db_session)


def select_locale() -> str:
    from .web import acting_user

    languages = request.environ.get("mutualisation.languages") or ["fr", "en"]
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return chosen
    user = acting_user()
    if user is not None and user.locale in languages:
        return user.locale
    return request.accept_languages.best_match(languages) or "fr"


def _init_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(login_id: str):
        from .accounts.services import load_session_user

        return load_session_user(db_session(), login_id)

    api.init_app(app)
    app.before_request(authenticate_api_request)


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs, bounded to what a database integer holds: a larger id is a 404, not an overflow."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_DATABASE_INTEGER)
        super().__init__(url_map, *args, **kwargs)


# Ids are INTEGER columns (32 bits on PostgreSQL): a larger id in a URL is a 404 before any query,
# not an "integer out of range" (found by the OpenAPI fuzz).
MAX_DATABASE_INTEGER = 2**31 - 1


def _register_blueprints(app: Flask) -> None:
    """Each domain contributes `views.bp` (HTML) and `api.blp` (JSON) when it has them."""
    from . import assets, core_views

    app.url_map.converters["int"] = IdConverter

    app.register_blueprint(core_views.bp)
    app.register_blueprint(assets.bp)
    for domain in DOMAINS:
        views = _optional_module(f"mutualisation.{domain}.views")
        if views is not None and hasattr(views, "bp"):
            app.register_blueprint(views.bp)
        api_module = _optional_module(f"mutualisation.{domain}.api")
        if api_module is not None and hasattr(api_module, "blp"):
            api.register_blueprint(api_module.blp)
            csrf.exempt(api_module.blp)  # API writes require a Bearer token instead (web.api_user)


def _optional_module(name: str):
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
