"""The shared layout's navigation entries and home-dashboard panels.

Domains declare theirs (`Domain.nav_items`, `Domain.dashboard_panels`); `create_app` adds them here
through `domains.install_layout`, kept sorted by `order`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MEMBERS = ("admin", "technician", "official", "actor")
# Not a role a user holds: the nav of someone not logged in. An item lists it to be shown to visitors.
VISITOR = "visitor"
EVERYONE = (*MEMBERS, VISITOR)
# The management pages (users, invitations, jobs…) fold into one menu: the bar keeps one line
# at 1366 px however many tools a role has.
MANAGE = "manage"
# Personal settings (one's calendars…) go to the account menu, beside the profile.
ACCOUNT = "account"
# Beside the bell, as an icon with a hidden label: what one checks often (messages).
BESIDE_BELL = "beside_bell"
# The icons of BESIDE_BELL items, as one SVG path each (16 × 16 view box).
ENVELOPE_ICON = (
    "M0 4a2 2 0 0 1 2-2h12a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H2a2 2 0 0 1-2-2V4Zm2-1a1 1 0 0 0-1 1v.217l7 "
    "4.2 7-4.2V4a1 1 0 0 0-1-1H2Zm13 2.383-4.708 2.825L15 11.105V5.383Zm-.034 6.876-5.64-3.471L8 "
    "9.583l-1.326-.795-5.64 3.47A1 1 0 0 0 2 13h12a1 1 0 0 0 .966-.741ZM1 11.105l4.708-2.897L1 "
    "5.383v5.722Z"
)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy gettext string
    roles: tuple[str, ...] = MEMBERS
    order: int = 50
    menu: str = ""  # "" on the bar itself, or MANAGE, ACCOUNT, BESIDE_BELL
    icon: str = ""  # an SVG path, for BESIDE_BELL items


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
    role = VISITOR if user is None else user.role
    return [i for i in REGISTRY.nav if role in i.roles]


def panels_for(user) -> list[DashboardPanel]:
    return [p for p in REGISTRY.panels if user.role in p.roles]
