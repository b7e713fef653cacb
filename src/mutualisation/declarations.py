"""What a domain contributes to the application, declared as data (docs/architecture.md).

Each domain package has a `domain.py` holding one `Domain` value; `mutualisation/domains.py` lists
them in order, and `create_app`, the CLI and the scheduler read that list. Nothing is found by
`import_module` and nothing registers itself when imported, so what runs is what the list says.

This module is a leaf: it imports nothing from the project, so any domain (its `jobs.py` in
particular) can import it without creating a cycle through the scheduler or the app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from flask import Blueprint, Flask
    from sqlalchemy.orm import Session

PARIS = ZoneInfo("Europe/Paris")

Trigger = tuple[str, Mapping[str, Any]]
JobFunc = Callable[["Flask", datetime], Mapping[str, int] | None]
# (session, listing_id, change) -> anything (ignored), called after the listing change is committed.
ListingFollower = Callable[["Session", int, str], object]
# (user, obj) -> bool: a named permission's policy (accounts/permissions.py).
Policy = Callable[[Any, Any], bool]
# (session) -> a one-line summary: loads the domain's share of the demo network, idempotently.
DemoLoader = Callable[["Session"], str]


@dataclass(frozen=True)
class ScheduledJob:
    """A job the scheduler runs: `func(app, now)` returns counts, stored in the job's run record.

    `trigger` is a pair (APScheduler trigger name, arguments), or a function of the app config
    returning one, so that delays can come from `config/*.toml`.
    """

    name: str
    func: JobFunc
    trigger: Trigger | Callable[[Mapping[str, Any]], Trigger]

    def trigger_for(self, config: Mapping[str, Any]) -> Trigger:
        return self.trigger(config) if callable(self.trigger) else self.trigger


def every(**interval: float) -> Trigger:
    """every(minutes=1), every(seconds=30)…"""
    return ("interval", interval)


def cron(**fields: Any) -> Trigger:
    """cron(hour=7, minute=0), cron(day_of_week="mon", hour=7)… in Europe/Paris time."""
    return ("cron", fields)


def now_paris() -> datetime:
    """The scheduler's clock: jobs and the pages that act like them think in Paris time."""
    return datetime.now(PARIS)


@dataclass(frozen=True)
class Domain:
    """One domain's contributions. Every field is optional: a room with nothing to hold stays empty.

    - `blueprints`: HTML blueprints, registered on the app in this order;
    - `api_blueprints`: flask-smorest blueprints, registered on the API (Bearer tokens, no CSRF);
    - `jobs`: scheduled jobs, named `<domain>.<job>`;
    - `policies`: named permissions (`"resource:action"`) and their `can_*` policy;
    - `listing_followers`: called after each committed listing change, in the app's sessions;
    - `session_listeners`: `attach(session_factory)` functions that hook a domain's flush
      listeners onto the app's own sessionmaker, never onto the global Session class;
    - `nav_items`, `dashboard_panels`: what the domain adds to the shared layout (mutualisation/ui.py);
    - `notification_kinds`: kinds the domain notifies beyond notifications/kinds.py's own table;
    - `demo_loader`: adds the domain's share of the demo network.
    """

    name: str
    blueprints: Sequence[Blueprint] = ()
    api_blueprints: Sequence[Blueprint] = ()
    jobs: Sequence[ScheduledJob] = ()
    policies: Mapping[str, Policy] = field(default_factory=dict)
    listing_followers: Sequence[ListingFollower] = ()
    session_listeners: Sequence[Callable[[Any], None]] = ()
    nav_items: Sequence[Any] = ()
    dashboard_panels: Sequence[Any] = ()
    notification_kinds: Sequence[Any] = ()
    demo_loader: DemoLoader | None = None
