"""From a suggestion to a proposal through the real pages: a Grande-Synthe technician accepts a
suggestion for one of the town's needs, edits the draft, writes to the other side, asks a
question about the offer, and proposes; the other side reads the message and its bell."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import action_form, ask_about_listing, send_message

pytestmark = pytest.mark.browser

GRANDE_SYNTHE = "59271"
SLUGS = {"62528": "loos-en-gohelle", "22046": "le-mene", "76402": "malaunay", "59271": "grande-synthe"}


def suggestion_of_a_grande_synthe_need(page) -> tuple[int, dict]:
    """(need id, an active suggestion of it), read through the API with the browser's session."""
    listings = page.request.get(f"/api/v1/listings?kind=need&near={GRANDE_SYNTHE}&per_page=100").json()
    for listing in listings["items"]:
        if listing["territory"] != GRANDE_SYNTHE:
            continue
        suggestions = page.request.get(f"/api/v1/listings/{listing['id']}/suggestions").json()["items"]
        active = [s for s in suggestions if s["status"] == "active"]
        if active:
            return listing["id"], active[0]
    raise AssertionError("the demo network has no active suggestion for a Grande-Synthe need")


def test_accept_a_suggestion_edit_the_draft_talk_and_propose(person):
    gs = person("technician@grande-synthe.demo")
    need_id, suggestion = suggestion_of_a_grande_synthe_need(gs)
    offer = gs.request.get(f"/api/v1/listings/{suggestion['offer_id']}").json()
    need = gs.request.get(f"/api/v1/listings/{need_id}").json()

    gs.goto(f"/listings/{need_id}")
    card = gs.locator("li.card").filter(has=gs.get_by_role("heading", name=offer["title"], exact=True)).first
    card.get_by_role("button", name="Accepter").click()
    gs.wait_for_url(re.compile(r"/agreements/\d+$"))
    agreement_url = re.search(r"/agreements/\d+$", gs.url).group(0)
    # The draft starts from the need's window and keeps both sides' requirements.
    edit = gs.locator("form.agreement-edit")
    if need["available_until"]:
        assert edit.get_by_label("Date de fin", exact=True).input_value() == need["available_until"]
    if offer.get("qualified_operator_required") or need.get("qualified_operator_required"):
        assert edit.get_by_label("Opérateur qualifié exigé (par exemple CACES)").is_checked()
    # Unconditional: what is lent is the offer's item, and a requirement nobody stated stays off.
    assert (
        edit.get_by_role("group", name="Ressource 1").get_by_label("Désignation").input_value()
        == offer["title"]
    )
    assert edit.get_by_label("Opérateur qualifié exigé (par exemple CACES)").is_checked() == bool(
        offer["qualified_operator_required"] or need["qualified_operator_required"]
    )

    edit.get_by_label("Commentaire (facultatif)").fill("Quantité ajustée")
    edit.get_by_role("group", name="Ressource 1").get_by_label("Quantité").fill("1")
    edit.get_by_role("button", name="Enregistrer le brouillon").click()
    gs.wait_for_load_state()
    assert "Brouillon enregistré" in gs.locator(".flash-messages").inner_text()

    send_message(gs, "Pouvez-vous livrer le matin ?")
    ask_about_listing(gs, offer["id"], "Le matériel est-il assuré ?")

    gs.goto(agreement_url)
    action_form(gs, "Proposer").get_by_role("button", name="Proposer").click()
    gs.wait_for_load_state()
    assert "Conditions proposées à" in gs.locator(".flash-messages").inner_text()

    other = person(f"technician@{SLUGS[offer['territory']]}.demo")
    other.goto(agreement_url)
    assert "Pouvez-vous livrer le matin ?" in other.locator("#messages").inner_text()
    assert "@" not in other.locator("#messages").inner_text()
    other.goto("/conversations")
    assert "Le matériel est-il assuré ?" in other.locator("main").inner_text()
