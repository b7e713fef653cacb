"""A technician publishes a need, finds it by filters, and sees it on the map (tiles offline)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

TITLE = "Broyeur de végétaux pour les haies (parcours navigateur)"


def test_technician_publishes_a_need_finds_it_within_300_km_and_sees_it_on_the_map(page):
    log_in(page, "technician@malaunay.demo")

    page.goto("/listings/new")
    page.get_by_label("Type", exact=True).select_option("need")
    page.get_by_label("Catégorie", exact=True).select_option("equipment")
    # The script narrowed the subcategories to the chosen category.
    subcategory = page.get_by_label("Sous-catégorie", exact=True)
    assert subcategory.locator("option[value='green_chipper']").count() == 1
    assert subcategory.locator("option[value='composting']").count() == 0
    subcategory.select_option("green_chipper")
    page.get_by_label("Titre", exact=True).fill(TITLE)
    page.get_by_label("Description", exact=True).fill("Pour broyer les tailles de haies au printemps.")
    page.locator("form.listing-form button[type=submit]").click()
    page.wait_for_url("**/listings/*")
    assert "Brouillon enregistré" in page.content()

    page.get_by_role("button", name="Publier").click()
    assert page.get_by_text("Annonce publiée.").is_visible()

    page.goto("/listings/")
    page.get_by_label("Catégorie", exact=True).select_option("equipment")
    # A typed commune name, as people write it: the one resolver finds Loos-en-Gohelle.
    near = page.get_by_label("Autour de (commune, code postal ou code INSEE)")
    near.fill("loos en gohelle")
    page.keyboard.press("Escape")
    page.get_by_label("Dans un rayon de (km)").fill("300")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**near=loos+en+gohelle**")
    # After the search, the field shows the commune's name, not a code.
    assert near.input_value() == "Loos-en-Gohelle"
    result = page.get_by_role("link", name=TITLE)
    assert result.is_visible()

    # The tiles fail only once the listings are loaded (as on a slow network), the order in which
    # a failure used to erase the count: their requests are held, then refused.
    origin = page.url.split("/listings")[0]
    held = []
    page.route(lambda url: not url.startswith(origin), lambda route: held.append(route))
    page.get_by_role("link", name="Voir sur la carte").click()
    page.wait_for_url("**/listings/map**", wait_until="domcontentloaded")  # held tiles delay "load"
    # A locator wait, not wait_for_function: the page's CSP (rightly) forbids evaluating strings.
    page.locator("#listing-map[data-loaded]").wait_for()
    assert held, "the map asked for no tile"
    for route in list(held):
        route.abort()
    assert page.locator("#listing-map").get_attribute("data-loaded") not in (None, "0", "error")
    assert page.locator("#listing-map .leaflet-marker-icon").count() >= 1
    # No internet in tests: the background tiles fail, and the page says so instead of breaking,
    # without erasing the count (the two events come in either order).
    page.locator("#listing-map.tiles-failed").wait_for()
    status = page.locator("#map-status").inner_text()
    assert "Le fond de carte n'a pas pu être chargé" in status
    shown = int(page.locator("#listing-map").get_attribute("data-loaded") or 0)
    # The count's form follows French plural rules (0 and 1 singular), picked in the browser.
    assert f"{shown} annonce{'s' if shown > 1 else ''} sur la carte." in status
