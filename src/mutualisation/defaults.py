"""The defaults written in config/default.toml, for code that also runs outside an app.

Pure cores, tests and benchmarks build `MatchingConfig()` or `MailSettings()` without a running
app; their field defaults are read from here, so that config/default.toml stays the one place a
default is written (docs/architecture.md, "Settings").
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from .paths import resource_dir


@cache
def default_config() -> Mapping[str, Any]:
    with (resource_dir("config") / "default.toml").open("rb") as fh:
        return MappingProxyType(tomllib.load(fh))


def default_section(name: str) -> Mapping[str, Any]:
    """One `[section]` of config/default.toml, read once per process."""
    return MappingProxyType(dict(default_config()[name]))
