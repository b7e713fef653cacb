"""The one list of the application's domains, in the order their contributions are applied.

`create_app`, the CLI and the scheduler read this list; each entry is the `DOMAIN` declared in
the package's `domain.py` (mutualisation/declarations.py). Adding a domain means adding it here:
nothing is discovered, nothing registers itself when imported (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from .accounts.domain import DOMAIN as ACCOUNTS
from .accounts.permissions import register
from .agreements.domain import DOMAIN as AGREEMENTS
from .audit.domain import DOMAIN as AUDIT
from .bookings.domain import DOMAIN as BOOKINGS
from .conversations.domain import DOMAIN as CONVERSATIONS
from .declarations import DemoLoader, Domain, ScheduledJob
from .impact.domain import DOMAIN as IMPACT
from .listings import hooks
from .listings.domain import DOMAIN as LISTINGS
from .matching.domain import DOMAIN as MATCHING
from .notifications import kinds
from .notifications.domain import DOMAIN as NOTIFICATIONS
from .scheduling.domain import DOMAIN as SCHEDULING
from .territories.domain import DOMAIN as TERRITORIES
from .ui import add_nav, add_panel
from .welcome.domain import DOMAIN as WELCOME

DOMAINS: tuple[Domain, ...] = (
    ACCOUNTS,
    TERRITORIES,
    LISTINGS,
    MATCHING,
    AGREEMENTS,
    IMPACT,
    BOOKINGS,
    CONVERSATIONS,
    NOTIFICATIONS,
    AUDIT,
    SCHEDULING,
    WELCOME,
)


def all_jobs(domains: Sequence[Domain] = DOMAINS) -> list[ScheduledJob]:
    """Every domain's jobs, in the list's order; two jobs may not share a name."""
    jobs = [job for domain in domains for job in domain.jobs]
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate scheduled job names: {duplicates}")
    return jobs


def configure_sessions(factory: sessionmaker[Session], domains: Sequence[Domain] = DOMAINS) -> None:
    """Scope the domains' session hooks to this sessionmaker: the app's own, or a test's."""
    hooks.bind_followers(factory, [f for domain in domains for f in domain.listing_followers])
    for domain in domains:
        for attach in domain.session_listeners:
            attach(factory)


def install_policies(domains: Sequence[Domain] = DOMAINS) -> None:
    """Add each domain's named permissions to the table `require` reads (accounts/permissions.py)."""
    for domain in domains:
        for name, policy in domain.policies.items():
            register(name, policy)


def install_layout(domains: Sequence[Domain] = DOMAINS) -> None:
    """Add each domain's navigation entries and dashboard panels to the shared layout."""
    for domain in domains:
        for item in domain.nav_items:
            add_nav(item)
        for panel in domain.dashboard_panels:
            add_panel(panel)


def install_notification_kinds(domains: Sequence[Domain] = DOMAINS) -> None:
    """Add each domain's notification kinds to the table preferences and e-mails read."""
    for domain in domains:
        for kind in domain.notification_kinds:
            kinds.register(kind)


def demo_loaders(domains: Sequence[Domain] = DOMAINS) -> list[tuple[str, DemoLoader]]:
    """Each domain's demo loader, in the list's order (mutualisation/demo.py calls them)."""
    return [(domain.name, domain.demo_loader) for domain in domains if domain.demo_loader is not None]
