"""The navigation and the dashboard panels the domains declare, as create_app installs them."""

from __future__ import annotations

from flask import url_for

from mutualisation.ui import REGISTRY, nav_for
from tests.builders import login, make_user

NAV_ORDER = [
    "core.home",
    "listings.browse",
    "welcome.pages.explore",
    "listings.map_view",
    "listings.mine",
    "agreements.index",
    "agreements.approvals",
    "calendar_feeds.manage",
    "conversations.index",
    "impact.sheet_list",
    "impact.network",
    "matching.admin",
    "welcome.invitations_page",
    "welcome.join_requests",
    "accounts.admin_users",
    "scheduling.admin_jobs",
    "welcome.join_page",
]
VISITOR_ONLY = ("core.home", "welcome.pages.explore", "welcome.join_page")
PANEL_ORDER = [
    "core/_actor_panel.html",
    "listings/panel.html",
    "matching/_panel.html",
    "agreements/_panel.html",
    "core/_welcome_staff_panel.html",
]


def test_the_app_installs_every_domains_nav_entries_and_panels_in_their_declared_order(app):
    assert [item.endpoint for item in REGISTRY.nav] == NAV_ORDER
    assert [panel.template for panel in REGISTRY.panels] == PANEL_ORDER


def test_an_admin_sees_every_admin_entry_of_the_navigation_on_the_dashboard(app, client, session):
    admin = make_user(session, "admin")
    login(client, admin)
    html = client.get("/").get_data(as_text=True)
    entries = [item.endpoint for item in nav_for(admin)]
    not_for_admins = ("agreements.approvals", "calendar_feeds.manage")
    assert entries == [e for e in NAV_ORDER if e not in (*not_for_admins, *VISITOR_ONLY)]
    with app.test_request_context():
        links = [url_for(endpoint) for endpoint in entries]
    assert all(f'href="{link}"' in html for link in links), [link for link in links if link not in html]


def _path(app, endpoint: str) -> str:
    with app.test_request_context():
        return url_for(endpoint)


def _link(html: str, href: str) -> str:
    """The link to `href` in the header, from its opening tag to its end."""
    header = html.split("</header>", 1)[0]
    at = header.index(f'href="{href}"')
    return header[header.rindex("<a ", 0, at) : header.index("</a>", at) + 4]


def test_each_nav_item_lands_in_its_menu_and_the_current_page_is_marked_there(app, client, session):
    """On the bar (nav-link), in the administration or account menu (dropdown-item), beside the
    bell (an icon with a hidden label): the one link macro marks the current page in each."""
    login(client, make_user(session, "admin"))
    html = client.get(_path(app, "accounts.admin_users")).get_data(as_text=True)
    users = _link(html, _path(app, "accounts.admin_users"))
    assert 'class="dropdown-item active"' in users and 'aria-current="page"' in users
    browse = _link(html, _path(app, "listings.browse"))
    assert 'class="nav-link"' in browse and "aria-current" not in browse
    messages = _link(html, _path(app, "conversations.index"))
    assert (
        '<svg aria-hidden="true"' in messages and '<span class="visually-hidden">Messages</span>' in messages
    )

    login(client, make_user(session, "technician", territory_code="76410"))
    html = client.get(_path(app, "calendar_feeds.manage")).get_data(as_text=True)
    calendars = _link(html, _path(app, "calendar_feeds.manage"))
    assert 'class="dropdown-item active"' in calendars and 'aria-current="page"' in calendars
