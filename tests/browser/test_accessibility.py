"""RGAA: axe-core finds no serious or critical violation on the login page and each role's dashboard."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_login_page_has_no_serious_accessibility_violation(page):
    page.goto("/login")
    assert serious_violations(page) == []


@pytest.mark.parametrize(
    "email",
    [
        "technician@loos-en-gohelle.demo",
        "official@malaunay.demo",
        "actor@le-mene.demo",
        "admin@mutualisation.demo",
    ],
)
def test_each_role_dashboard_has_no_serious_accessibility_violation(page, email):
    log_in(page, email)
    page.goto("/")
    assert page.locator("h1").first.is_visible()
    assert serious_violations(page) == []


def test_login_works_with_the_keyboard_alone(page):
    page.goto("/login")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.className").find("skip-link") >= 0
    page.get_by_label("Courriel").focus()
    page.keyboard.type("technician@loos-en-gohelle.demo")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-password")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    assert "Bonjour" in page.locator("h1").inner_text()


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("technician@malaunay.demo", "/listings/"),
        ("technician@malaunay.demo", "/listings/?kind=need&category=equipment&near=62528&radius_km=300"),
        ("technician@malaunay.demo", "/listings/map"),
        ("technician@malaunay.demo", "/listings/new"),
        ("technician@malaunay.demo", "/listings/mine"),
        ("technician@malaunay.demo", "/agreements"),
        ("official@malaunay.demo", "/agreements/approvals"),
        ("technician@malaunay.demo", "/notifications"),
        ("technician@malaunay.demo", "/notifications/preferences"),
        ("technician@malaunay.demo", "/conversations"),
        ("technician@malaunay.demo", "/profile"),
        ("admin@mutualisation.demo", "/admin/users"),
        ("admin@mutualisation.demo", "/admin/jobs"),
    ],
)
def test_main_pages_have_no_serious_accessibility_violation(page, email, path):
    log_in(page, email)
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert serious_violations(page) == []


def test_the_question_page_of_a_listing_has_no_serious_accessibility_violation(page):
    log_in(page, "technician@malaunay.demo")
    offers = page.request.get("/api/v1/listings?kind=offer&per_page=50").json()["items"]
    offer = next(o for o in offers if o["territory"] != "76402")
    page.goto(f"/listings/{offer['id']}")
    page.get_by_role("link", name="Poser une question").click()
    page.wait_for_load_state()
    assert serious_violations(page) == []
