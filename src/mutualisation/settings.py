"""Settings: defaults → config/<env>.toml → MUTUALISATION_* environment, validated at start-up.

Secrets are read from the environment only; a production start without SECRET_KEY stops with
a clear message rather than running with a guessable key.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .paths import resource_dir

ENV_PREFIX = "MUTUALISATION_"
KNOWN_ENVS = ("development", "testing", "production")
SECRET_KEYS = ("SECRET_KEY",)


class SettingsError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _parse_env_value(raw: str) -> Any:
    # Environment values are strings; accept TOML/JSON scalars so that
    # MUTUALISATION_SESSION_COOKIE_SECURE=false means False, not the string "false".
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in (f"{ENV_PREFIX}ENV", f"{ENV_PREFIX}TEST_DATABASE_URL"):
            continue
        path = name[len(ENV_PREFIX) :].split("__")
        target = result
        for part in path[:-1]:
            target = target.setdefault(part.lower(), {})
        # Top-level keys are Flask-style upper case; nested section keys are lower case.
        target[path[-1] if len(path) == 1 else path[-1].lower()] = _parse_env_value(raw)
    return result


def _instance_secret_key(instance_path: Path) -> str:
    """For local runs: generate a key once and keep it, so sessions survive a restart."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    env = overrides.get("ENV") or environ.get(f"{ENV_PREFIX}ENV") or "development"
    if env not in KNOWN_ENVS:
        raise SettingsError(f"{ENV_PREFIX}ENV must be one of {', '.join(KNOWN_ENVS)}, not {env!r}")
    config_dir = resource_dir("config")
    settings = _read_toml(config_dir / "default.toml")
    settings = _merge(settings, _read_toml(config_dir / f"{env}.toml"))
    settings = _merge(settings, _from_environment(environ))
    settings = _merge(settings, overrides)
    settings["ENV"] = env
    return _finalise(settings)


def _finalise(settings: dict[str, Any]) -> dict[str, Any]:
    instance = Path(settings.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    settings["INSTANCE_PATH"] = str(instance)
    if not settings.get("DATABASE_URL"):
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'mutualisation.sqlite3'}"
    if not settings.get("SECRET_KEY"):
        if settings["ENV"] == "production":
            raise SettingsError(
                "MUTUALISATION_SECRET_KEY is not set. In production the secret key must come from the "
                "environment, for example: export MUTUALISATION_SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
        settings["SECRET_KEY"] = (
            secrets.token_urlsafe(32) if settings.get("TESTING") else _instance_secret_key(instance)
        )
    _validate(settings)
    return settings


def _validate(settings: dict[str, Any]) -> None:
    problems = []
    if len(str(settings["SECRET_KEY"])) < 16:
        problems.append("SECRET_KEY must be at least 16 characters long")
    if not isinstance(settings.get("PASSWORD_MIN_LENGTH"), int) or settings["PASSWORD_MIN_LENGTH"] < 8:
        problems.append("PASSWORD_MIN_LENGTH must be an integer of at least 8")
    if not isinstance(settings.get("MAX_CONTENT_LENGTH"), int) or settings["MAX_CONTENT_LENGTH"] <= 0:
        problems.append("MAX_CONTENT_LENGTH must be a positive integer (bytes)")
    url = str(settings.get("DATABASE_URL", ""))
    if not url.startswith(("sqlite", "postgresql")):
        problems.append("DATABASE_URL must be a sqlite:// or postgresql:// URL")
    if settings.get("BABEL_DEFAULT_LOCALE") not in settings.get("LANGUAGES", []):
        problems.append("BABEL_DEFAULT_LOCALE must be one of LANGUAGES")
    if problems:
        raise SettingsError("Invalid configuration: " + "; ".join(problems))
