"""Flask extensions, created once and bound in create_app."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def is_api_request() -> bool:
    return request.path.startswith("/api/")
