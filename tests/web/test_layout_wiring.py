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
