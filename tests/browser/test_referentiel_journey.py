"""The référentiel in a real browser: an official publishes a sheet drafted from an evaluated
agreement, a peer takes it up and contradicts it, a visitor reads it and the impact dashboard,
and axe-core finds no serious or critical violation on the new pages."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser


def log_out(page) -> None:
    page.locator("header .account-menu").click()  # logging out sits in the account's menu
    page.get_by_role("button", name="Se déconnecter").click()


def draft_and_publish(page) -> str:
    """Grande-Synthe's official, a party, drafts a sheet from the evaluated agreement and publishes it."""
    log_in(page, "official@grande-synthe.demo")
    evaluated = page.request.get("/api/v1/agreements?status=evaluated").json()["items"]
    tents = next(a for a in evaluated if a["title"].startswith("Tentes de réception"))
    page.goto(f"/agreements/{tents['id']}")
    page.get_by_role(
        "button", name="Rédiger une fiche retour d'expérience à partir de cette convention"
    ).click()
    page.wait_for_url(re.compile(r"/sheets/\d+/edit$"))
    assert "Prévoir deux personnes" in page.get_by_label("Conditions de réussite").input_value()
    assert serious_violations(page) == []
    page.get_by_label("La méthode, pas à pas").fill(
        "1. Demander six semaines avant.\n2. Signer la convention."
    )
    page.get_by_label("Mutualisation de moyens").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/sheets/\d+$"))
    sheet_url = page.url
    page.get_by_role("button", name=re.compile("Publier au nom de Grande-Synthe")).click()
    assert page.get_by_text("Fiche publiée").is_visible()
    log_out(page)
    return sheet_url


def test_an_official_publishes_a_peer_reacts_and_a_visitor_reads(page, browser, live_server):
    sheet_url = draft_and_publish(page)

    log_in(page, "technician@malaunay.demo")
    page.goto(sheet_url)
    page.get_by_label("Type de réaction").select_option("reuse")
    page.get_by_label("Votre message").fill(
        "Reprise à Malaunay pour la fête de la musique : très bien passé."
    )
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_label("Type de réaction").select_option("contradiction")
    page.get_by_label("Votre message").fill(
        "Deux personnes ne suffisent pas pour monter une tente par grand vent."
    )
    page.get_by_role("button", name="Envoyer").click()
    aside = page.locator("aside")
    assert "grand vent" in aside.inner_text()
    assert "Reprise à Malaunay" in page.locator("#reactions").inner_text()
    assert serious_violations(page) == []
    log_out(page)

    visitor = browser.new_context(base_url=live_server, locale="fr-FR")
    visitor.route(lambda url: not url.startswith(live_server), lambda route: route.abort())
    anonymous = visitor.new_page()
    for path in (
        "/impact",
        "/impact/territory/59271",
        "/impact/category/equipment",
        "/impact/summary",
        "/sheets",
    ):
        response = anonymous.goto(path)
        assert response is not None and response.status == 200, path
        assert serious_violations(anonymous) == [], path
    anonymous.goto("/impact")
    assert anonymous.locator("svg title").first.text_content().startswith("Économies")
    assert anonymous.get_by_role("table").first.is_visible()
    anonymous.goto(sheet_url)
    assert anonymous.get_by_role("heading", level=1).is_visible()
    assert "CC BY-SA 4.0" in anonymous.content()
    assert serious_violations(anonymous) == []
    anonymous.goto(sheet_url + "/revisions?from=1&to=2")
    assert anonymous.locator("ins").count() >= 1
    assert serious_violations(anonymous) == []
    visitor.close()
