"""The bookable barnums of the demo in a real browser: the calendar page passes axe-core, and
picking a free day opens a request prefilled with it; the account's calendars page too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import log_in
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser


def _barnums_id(live_app) -> int:
    from mutualisation.bookings.demo import TITLE
    from mutualisation.listings.models import Listing

    with live_app.app_context():
        from mutualisation.web import db_session

        return db_session().scalars(select(Listing.id).where(Listing.title == TITLE)).one()


def test_the_calendar_page_has_no_serious_accessibility_violation_and_a_free_day_starts_a_request(
    page, live_app
):
    listing_id = _barnums_id(live_app)
    log_in(page, "technician@malaunay.demo")
    response = page.goto(f"/listings/{listing_id}/calendar")
    assert response is not None and response.status == 200
    assert page.locator("table.calendar-grid").count() == 3
    page.get_by_text("Jour par jour, sous forme de tableau").click()
    assert page.locator("table.calendar-table caption").is_visible()
    assert serious_violations(page) == []
    free_day = page.locator("table.calendar-grid a").last
    label = free_day.get_attribute("aria-label")
    free_day.click()
    page.wait_for_url(lambda url: "/agreements/new" in url)
    start = page.locator("input[name=starts_on]").input_value()
    assert start and start == page.locator("input[name=ends_on]").input_value()
    assert label and "demander ce jour" in label


def test_the_calendars_page_has_no_serious_accessibility_violation(page):
    log_in(page, "official@loos-en-gohelle.demo")
    page.goto("/account/calendars")
    page.get_by_role("button", name="Créer l'adresse").first.click()
    assert page.locator("input[readonly]").first.input_value().endswith(".ics")
    assert serious_violations(page) == []
