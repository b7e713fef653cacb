"""The shared layout's navigation entries and home-dashboard panels.

Domains declare theirs (`Domain.nav_items`, `Domain.dashboard_panels`); `create_app` adds them here
through `domains.install_layout`, kept sorted by `order`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy gettext string
    roles: tuple[str, ...] = ("admin", "technician", "official", "actor")
    order: int = 50


@dataclass(frozen=True)
class DashboardPanel:
    template: str
    loader: Callable[[Any, Any], dict[str, Any]]  # (session, user) -> template context
    roles: tuple[str, ...] = ("admin", "technician", "official", "actor")
    order: int = 50


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    panels: list[DashboardPanel] = field(default_factory=list)


REGISTRY = Registry()


def add_nav(item: NavItem) -> None:
    if item not in REGISTRY.nav:
        REGISTRY.nav.append(item)
        REGISTRY.nav.sort(key=lambda i: i.order)


def add_panel(panel: DashboardPanel) -> None:
    if panel not in REGISTRY.panels:
        REGISTRY.panels.append(panel)
        REGISTRY.panels.sort(key=lambda p: p.order)


def nav_for(user) -> list[NavItem]:
    if user is None:
        return []
    return [i for i in REGISTRY.nav if user.role in i.roles]


def panels_for(user) -> list[DashboardPanel]:
    return [p for p in REGISTRY.panels if user.role in p.roles]
