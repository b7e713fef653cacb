"""RGAA for visitors: the public pages a person without an account opens, checked by axe-core in a
real browser; the sheet's PDF link answers a PDF."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser


def first_href(page, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")
    assert href, selector
    return href


def assert_accessible(page, path: str) -> None:
    answer = page.goto(path)
    assert answer is not None and answer.status == 200, path
    assert page.locator("h1").first.is_visible(), path
    assert serious_violations(page) == [], path


def test_a_visitor_walks_the_public_pages_without_a_serious_accessibility_violation(page):
    for path in ("/", "/explore", "/sheets", "/impact", "/territories/62528"):
        assert_accessible(page, path)
    page.goto("/explore")
    assert_accessible(page, first_href(page, "main a[href^='/explore/']"))
    page.goto("/sheets")
    sheet = first_href(page, "main a[href^='/sheets/']:not([href$='.pdf']):not([href*='new'])")
    assert_accessible(page, sheet)
    pdf = page.request.get(first_href(page, "main a[href$='.pdf']"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"


def test_the_visitor_navigation_leads_to_the_public_pages(page):
    page.goto("/")
    nav = page.get_by_role("navigation", name="Navigation principale")
    for name, path in (
        ("Fiches d'expérience", "/sheets"),
        ("Impact", "/impact"),
        ("Demander à rejoindre", "/join"),
    ):
        assert nav.get_by_role("link", name=name, exact=True).get_attribute("href") == path
