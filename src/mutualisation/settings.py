"""Settings: config/default.toml → config/<env>.toml → MUTUALISATION_* environment → code overrides.

Every section of the files is a dataclass below, and every top-level key a field of `CoreSettings`.
Each layer is checked on its own before it is merged, so that an unknown or misplaced key stops the
start with a message naming the key and the file (or the environment variable) it came from.
Defaults live in config/default.toml only: the dataclasses have no default values, and a key
missing from every layer is an error too.

Environment variables: `MUTUALISATION_<KEY>` sets a top-level key (MUTUALISATION_PASSWORD_MIN_LENGTH),
`MUTUALISATION_<SECTION>__<KEY>` a key of a section (MUTUALISATION_MAIL__HOST sets [mail] host), and
`MUTUALISATION_MATCHING__DECAY_KM__SKILL` a key of a table inside a section. Values are read as
TOML/JSON scalars ("false" is False, "12" is 12). MUTUALISATION_ENV chooses the file;
MUTUALISATION_LOG_LEVEL, MUTUALISATION_TEST_DATABASE_URL and MUTUALISATION_BENCH_DATABASE_URL are
read by the CLI and the test and bench harnesses, not here.

Secrets (SECRET_KEY, [mail] password) come from the environment (or code) only: a file holding one
is refused. A production start without SECRET_KEY stops with a clear message rather than running
with a guessable key.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .paths import resource_dir
from .settings_schema import SECTIONS, AccessibilitySection, CoreSettings, Settings

ENV_PREFIX = "MUTUALISATION_"
KNOWN_ENVS = ("development", "testing", "production")
# Read elsewhere (the CLI, the test and bench harnesses), never settings of the app.
NOT_SETTINGS = ("ENV", "LOG_LEVEL", "TEST_DATABASE_URL", "BENCH_DATABASE_URL")
# Secrets: accepted from the environment or from code, never from a file that could be committed.
SECRETS = {("SECRET_KEY",), ("mail", "password")}

__all__ = ["Settings", "SettingsError", "load_settings", "load_typed_settings", "settings_of"]


class SettingsError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


# Reading the layers ---------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config/{path.name} is not valid TOML: {exc}") from None


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
        if not name.startswith(ENV_PREFIX) or name[len(ENV_PREFIX) :] in NOT_SETTINGS:
            continue
        path = name[len(ENV_PREFIX) :].split("__")
        target = result
        for part in path[:-1]:
            target = target.setdefault(part.lower(), {})
        # Top-level keys are Flask-style upper case; nested section keys are lower case.
        target[path[-1] if len(path) == 1 else path[-1].lower()] = _parse_env_value(raw)
    return result


# Checking one layer's keys ----------------------------------------------------------------------------

CORE_FIELDS = {f.name for f in dataclasses.fields(CoreSettings)}


def _section_fields(name: str) -> set[str]:
    return {f.name for f in dataclasses.fields(SECTIONS[name])}


def _home_of(key: str) -> str | None:
    """Where a key belongs: "" for the top of the file, a section name, or None when unknown."""
    if key in CORE_FIELDS:
        return ""
    homes = [name for name in SECTIONS if key in _section_fields(name)]
    return homes[0] if len(homes) == 1 else None


def _misplaced(key: str, where: str, source: str) -> str:
    home = _home_of(key)
    here = f"under [{where}]" if where else "at the top level"
    if home is None:
        known = sorted(_section_fields(where)) if where else sorted(CORE_FIELDS | set(SECTIONS))
        return f"unknown setting {key!r} {here} in {source}; known keys there: {', '.join(known)}"
    there = "at the top of the file, before any [section]" if home == "" else f"under [{home}]"
    return f"setting {key!r} in {source} sits {here} but belongs {there}"


def _check_layer(layer: Mapping[str, Any], source: str, from_file: bool) -> list[str]:
    problems = []
    for key, value in layer.items():
        if key in SECTIONS:
            if not isinstance(value, Mapping):
                problems.append(f"[{key}] in {source} must be a table, not {value!r}")
                continue
            fields = _section_fields(key)
            problems += [_misplaced(k, key, source) for k in value if k not in fields]
            problems += _secret_problems([(key, k) for k in value], source, from_file)
        elif key not in CORE_FIELDS and (key,) not in SECRETS:
            problems.append(_misplaced(key, "", source))
    problems += _secret_problems([(key,) for key in layer], source, from_file)
    return problems


def _secret_problems(paths: list[tuple[str, ...]], source: str, from_file: bool) -> list[str]:
    if not from_file:
        return []
    env = {("SECRET_KEY",): "MUTUALISATION_SECRET_KEY", ("mail", "password"): "MUTUALISATION_MAIL__PASSWORD"}
    return [
        f"{'.'.join(path)} is a secret and may not be written in {source}; set {env[path]} instead"
        for path in paths
        if path in SECRETS
    ]


# Types ------------------------------------------------------------------------------------------------------


def _type_ok(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(expected)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        key_type, item = typing.get_args(expected)
        return isinstance(value, Mapping) and all(
            _type_ok(k, key_type) and _type_ok(v, item) for k, v in value.items()
        )
    if expected is bool:
        return isinstance(value, bool)
    if expected is float:  # TOML and JSON write 5 for 5.0
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, expected) and not (expected is int and isinstance(value, bool))


def _build(cls: type, values: Mapping[str, Any], where: str, problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in values:
            if f.default is dataclasses.MISSING:  # only secrets have a code default (empty)
                problems.append(f"setting {f.name!r} {where} is missing: add it to config/default.toml")
            continue
        value = values[f.name]
        if not _type_ok(value, hints[f.name]):
            problems.append(f"setting {f.name!r} {where} must be {_type_name(hints[f.name])}, not {value!r}")
            continue
        kwargs[f.name] = float(value) if hints[f.name] is float else value
    return None if len(kwargs) + _defaulted(cls, values) < len(dataclasses.fields(cls)) else cls(**kwargs)


def _defaulted(cls: type, values: Mapping[str, Any]) -> int:
    return sum(
        1 for f in dataclasses.fields(cls) if f.name not in values and f.default is not dataclasses.MISSING
    )


def _type_name(expected: Any) -> str:
    return getattr(expected, "__name__", None) or str(expected)


def _typed(merged: Mapping[str, Any]) -> Settings:
    problems: list[str] = []
    core = _build(CoreSettings, merged, "at the top level", problems)
    sections = {
        name: _build(cls, merged.get(name) or {}, f"under [{name}]", problems)
        for name, cls in SECTIONS.items()
    }
    if problems:
        raise SettingsError("Invalid configuration: " + "; ".join(problems))
    return Settings(core=core, **sections)


# Loading -------------------------------------------------------------------------------------------------


def _layers(
    env: str, overrides: Mapping[str, Any], environ: Mapping[str, str], config_dir: Path
) -> list[tuple[str, dict[str, Any], bool]]:
    return [
        ("config/default.toml", _read_toml(config_dir / "default.toml"), True),
        (f"config/{env}.toml", _read_toml(config_dir / f"{env}.toml"), True),
        (f"the {ENV_PREFIX}* environment variables", _from_environment(environ), False),
        ("the settings given to create_app", dict(overrides), False),
    ]


def load_typed_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_dir: Path | None = None,
) -> Settings:
    """Read, check and merge every layer; the result is typed and complete.

    `config_dir` is the folder of the TOML files: the project's config/ unless a test gives another.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    env = overrides.get("ENV") or environ.get(f"{ENV_PREFIX}ENV") or "development"
    if env not in KNOWN_ENVS:
        raise SettingsError(f"{ENV_PREFIX}ENV must be one of {', '.join(KNOWN_ENVS)}, not {env!r}")
    merged: dict[str, Any] = {}
    problems: list[str] = []
    folder = resource_dir("config") if config_dir is None else config_dir
    for source, layer, from_file in _layers(env, overrides, environ, folder):
        problems += _check_layer(layer, source, from_file)
        merged = _merge(merged, layer)
    if problems:
        raise SettingsError("Invalid configuration: " + "; ".join(problems))
    merged["ENV"] = env
    _finalise(merged)
    settings = _typed(merged)
    _validate(settings)
    return settings


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The checked settings as a Flask config mapping: top-level keys, and one dict per section."""
    return load_typed_settings(overrides, environ).as_config()


def settings_of(app: Any) -> Settings:
    """The typed settings `create_app` loaded for this app."""
    settings: Settings = app.extensions["mutualisation.settings"]
    return settings


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


def _finalise(settings: dict[str, Any]) -> None:
    """Fill what is derived from other settings: the instance folder, its database, the secret key."""
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


def _validate(settings: Settings) -> None:
    """Rules across values that types alone cannot say."""
    core, problems = settings.core, []
    if len(settings.secret_key) < 16:
        problems.append("SECRET_KEY must be at least 16 characters long")
    if core.PASSWORD_MIN_LENGTH < 8:
        problems.append("PASSWORD_MIN_LENGTH must be an integer of at least 8")
    if core.MAX_CONTENT_LENGTH <= 0:
        problems.append("MAX_CONTENT_LENGTH must be a positive integer (bytes)")
    if not core.DATABASE_URL.startswith(("sqlite", "postgresql")):
        problems.append("DATABASE_URL must be a sqlite:// or postgresql:// URL")
    if core.BABEL_DEFAULT_LOCALE not in core.LANGUAGES:
        problems.append("BABEL_DEFAULT_LOCALE must be one of LANGUAGES")
    problems += _accessibility_problems(settings.accessibility)
    if problems:
        raise SettingsError("Invalid configuration: " + "; ".join(problems))


def _accessibility_problems(declared: AccessibilitySection) -> list[str]:
    """The statement declares a conformity status and an audit day: a typo would publish a wrong one."""
    problems = []
    if declared.status not in declared.STATUSES:
        problems.append(f"[accessibility] status must be one of {', '.join(declared.STATUSES)}")
    try:
        declared.audited  # noqa: B018 - reading it is the check
    except ValueError:
        problems.append('[accessibility] audit_date must be an ISO date ("2026-03-15") or empty')
    return problems
