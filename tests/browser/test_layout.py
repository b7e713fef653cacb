"""The shared layout in a real browser: one navigation line at 1366 px, a folded menu below the
breakpoint, the favicon, and the print styles of the listing, agreement and sheet pages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

# One line of Bootstrap's navbar is about 56 px; a second line would add about 40.
ONE_LINE_PX = 72
ACCOUNTS = [
    None,
    "admin@mutualisation.demo",
    "official@loos-en-gohelle.demo",
    "technician@malaunay.demo",
    "actor@loos-en-gohelle.demo",
]


def _navbar_height(page) -> float:
    return page.locator("header nav.navbar").bounding_box()["height"]


def _overflow_px(page) -> float:
    """How far the bar's last item reaches past the window's right edge (0 when it fits)."""
    return page.evaluate(
        """() => Math.max(0, ...[...document.querySelectorAll('header .nav-link, header .navbar-brand')]
            .filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect().right - document.documentElement.clientWidth))"""
    )


@pytest.mark.parametrize("width", [1366, 1200])
@pytest.mark.parametrize("email", ACCOUNTS)
def test_the_navigation_fits_on_one_line_at_1366_px_and_down_to_the_breakpoint(page, email, width):
    page.set_viewport_size({"width": width, "height": 768})
    if email:
        log_in(page, email)
    page.goto("/")
    assert page.locator(".navbar-toggler").is_hidden()
    assert _navbar_height(page) <= ONE_LINE_PX, email
    assert _overflow_px(page) == 0, email


def test_below_the_breakpoint_the_navigation_folds_behind_a_toggler(page):
    page.set_viewport_size({"width": 1180, "height": 768})
    log_in(page, "admin@mutualisation.demo")
    page.goto("/")
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible() and page.locator("#main-nav").is_hidden()
    assert _navbar_height(page) <= ONE_LINE_PX
    toggler.click()
    page.locator("#main-nav").wait_for(state="visible")
    assert page.get_by_role("link", name="Offres et besoins").is_visible()


def test_every_page_links_a_favicon_that_is_served(page):
    page.goto("/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    response = page.request.get(href)
    assert response.ok and "svg" in response.headers["content-type"]


@pytest.mark.parametrize("kind", ["listings", "agreements", "sheets"])
def test_printing_hides_the_navigation_forms_and_buttons(page, kind):
    log_in(page, "technician@loos-en-gohelle.demo")
    found = page.request.get(f"/api/v1/{kind}").json()["items"]
    response = page.goto(f"/{kind}/{found[0]['id']}")
    assert response is not None and response.status == 200
    page.emulate_media(media="print")
    assert page.locator("header nav").is_hidden()
    assert page.locator("body > footer").is_hidden()
    for selector in ("main form", "main .btn"):
        for element in page.locator(selector).all():
            assert element.is_hidden(), selector
    page.emulate_media(media="screen")
    assert page.locator("header nav").is_visible()


@pytest.mark.parametrize(
    ("email", "path"),
    [
        (None, "/accessibilite"),
        ("technician@malaunay.demo", "/listings/?near=Trifouillis"),  # the error summary
        ("technician@malaunay.demo", "/listings/?near=malaunay"),  # a commune shown back by name
    ],
)
def test_the_new_pages_and_states_have_no_serious_accessibility_violation(page, email, path):
    from tests.browser.test_accessibility import serious_violations

    page.set_viewport_size({"width": 1366, "height": 768})
    if email:
        log_in(page, email)
    page.goto(path)
    assert serious_violations(page) == []


def test_the_error_summary_links_to_the_field_it_names(page):
    log_in(page, "technician@malaunay.demo")
    page.goto("/listings/new")
    page.locator("form.listing-form button[type=submit]").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "kind"
