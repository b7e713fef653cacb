"""The whole agreement journey through the real pages, one browser context per person.

Malaunay's technician requests Loos-en-Gohelle's demo podium, Loos's technician accepts, both
officials approve and sign, the handover and the return are recorded with their reports (and a
photo), the agreement is closed and evaluated by both sides, and the history shows every step.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib

import pytest

from tests.browser.conftest import action_form, ask_about_listing, send_message

pytestmark = pytest.mark.browser

OFFER_TITLE = "Podium modulaire 6 x 4 m"  # owned by technician@loos-en-gohelle.demo (agreements/demo.py)
MALAUNAY, LOOS = "76402", "62528"


def tiny_png() -> bytes:
    """A real 2 x 2 PNG, so that the browser can draw the thumbnail."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x2e\x7d\x32" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def demo_offer_id(page) -> int:
    """The id of Loos's demo podium, read through the API with the browser's session (GET only)."""
    listing = page.request.get("/api/v1/agreements?per_page=100").json()["items"]
    # The podium by its title first: the demo lends Loos's barnums to Malaunay too.
    listing.sort(key=lambda item: item["title"] != OFFER_TITLE)
    for item in listing:
        codes = {p["side"]: p["territory"]["code"] for p in item["parties"]}
        if item["title"] == OFFER_TITLE or codes == {"provider": LOOS, "beneficiary": MALAUNAY}:
            detail = page.request.get(f"/api/v1/agreements/{item['id']}").json()
            if detail["offer_id"]:
                return detail["offer_id"]
    raise AssertionError("the demo network has no Loos-en-Gohelle podium offer")


def act(page, agreement_url: str, label: str, **fields) -> None:
    """Open the agreement page, fill the action's form (by French labels) and submit it."""
    page.goto(agreement_url)
    form = action_form(page, label)
    for field_label, value in fields.items():
        form.get_by_label(field_label, exact=True).fill(value)
    form.get_by_role("button", name=label).click()
    page.wait_for_load_state()
    # The confirmation says what happened (labels.DONE_MESSAGES), never "C'est fait : <button>".
    flashes = page.locator(".flash-messages").inner_text()
    assert page.locator(".flash-messages .alert-success").count() == 1, page.content()[:3000]
    assert "C'est fait" not in flashes


def approve(page, agreement_url: str, kind: str, number: str, date: str) -> None:
    """An official approves with the act that carries the decision (kind, number, date)."""
    page.goto(agreement_url)
    form = action_form(page, "Valider au nom de mon territoire")
    form.get_by_label("Type de décision").select_option(kind)
    form.get_by_label("Numéro de la décision").fill(number)
    form.get_by_label("Date de la décision").fill(date)
    form.get_by_role("button", name="Valider au nom de mon territoire").click()
    page.wait_for_load_state()
    assert "Convention validée pour" in page.locator(".flash-messages").inner_text()


def test_a_loan_goes_from_request_to_evaluation_through_the_pages(person, tmp_path):
    malaunay = person("technician@malaunay.demo")
    offer_id = demo_offer_id(malaunay)

    # Malaunay asks for the podium and fills the terms.
    malaunay.goto(f"/agreements/new?offer_id={offer_id}")
    assert OFFER_TITLE in malaunay.locator("main").inner_text()
    first, second = (
        malaunay.get_by_role("group", name="Ressource 1"),
        malaunay.get_by_role("group", name="Ressource 2"),
    )
    assert first.get_by_label("Désignation").input_value() == OFFER_TITLE  # prefilled from the offer
    first.get_by_label("Quantité").fill("1")
    first.get_by_label("Unité").fill("lot")
    second.get_by_label("Désignation").fill("Escalier d'accès")
    second.get_by_label("Quantité").fill("2")
    second.get_by_label("Unité").fill("unité")
    malaunay.get_by_label("Date de début", exact=True).fill("2030-06-01")
    malaunay.get_by_label("Date de fin", exact=True).fill("2030-06-08")
    malaunay.get_by_label("Type de convention", exact=True).select_option("loan")
    malaunay.get_by_role("button", name="Créer le brouillon").click()
    malaunay.wait_for_url(re.compile(r"/agreements/\d+$"))
    agreement_url = re.search(r"/agreements/\d+$", malaunay.url).group(0)
    terms = malaunay.locator("main table").first.inner_text()
    assert "1er juin 2030" in terms and "Escalier d'accès × 2" in terms

    # The author edits the draft before proposing it, and writes to the other side.
    edit = malaunay.locator("form.agreement-edit")
    edit.get_by_label("Date de fin", exact=True).fill("2030-06-09")
    edit.get_by_role("button", name="Enregistrer le brouillon").click()
    malaunay.wait_for_load_state()
    assert "Brouillon enregistré" in malaunay.locator(".flash-messages").inner_text()
    assert "9 juin 2030" in malaunay.locator("main table").first.inner_text()
    send_message(malaunay, "Le podium peut-il être livré ?")
    # A question about the listing itself goes to its territory.
    ask_about_listing(malaunay, offer_id, "Faut-il un CACES ?")
    act(malaunay, agreement_url, "Proposer")

    loos = person("technician@loos-en-gohelle.demo")
    act(loos, agreement_url, "Accepter ces conditions")

    mal_official = person("official@malaunay.demo")
    approve(mal_official, agreement_url, "deliberation", "Délibération 2026-42", "2026-04-12")
    loos_official = person("official@loos-en-gohelle.demo")
    approve(loos_official, agreement_url, "arrete", "A-2026-7", "2026-04-20")
    loos_official.goto(agreement_url)
    assert "Délibération 2026-42" in loos_official.locator("main").inner_text()
    assert loos_official.get_by_role("link", name="Convention imprimable").is_visible()

    act(mal_official, agreement_url, "Signer la convention")
    act(loos_official, agreement_url, "Signer la convention")

    # The handover, with its condition report and a photo.
    malaunay.goto(agreement_url)
    handover = action_form(malaunay, "Enregistrer la remise")
    handover.get_by_label("Compte rendu (état du matériel, remarques)").fill(
        "Podium complet, escalier, bon état."
    )
    handover.get_by_label("Photos (JPEG ou PNG, facultatif)").set_input_files(
        [{"name": "remise.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    handover.get_by_role("button", name="Enregistrer la remise").click()
    malaunay.wait_for_load_state()
    # Before the agreed start (1 June 2030) the early handover is asked about, not recorded.
    early = dt.date.today() < dt.date(2030, 6, 1)
    assert (malaunay.get_by_label("Enregistrer quand même").count() == 1) == early
    if malaunay.get_by_label("Enregistrer quand même").count():  # before the agreed start: asked
        handover = action_form(malaunay, "Enregistrer la remise")
        handover.get_by_label("Photos (JPEG ou PNG, facultatif)").set_input_files(
            [{"name": "remise.png", "mimeType": "image/png", "buffer": tiny_png()}]
        )
        handover.get_by_label("Enregistrer quand même").check()
        handover.get_by_role("button", name="Enregistrer la remise").click()
        malaunay.wait_for_load_state()
    assert "Remise enregistrée" in malaunay.locator(".flash-messages").inner_text()
    thumbnail = malaunay.locator("img.agreement-photo").first
    thumbnail.wait_for()
    assert malaunay.evaluate("(img) => img.complete && img.naturalWidth", thumbnail.element_handle()) == 2

    act(
        loos,
        agreement_url,
        "Enregistrer la restitution",
        **{"Compte rendu (état du matériel, remarques)": "Rendu complet et propre, aucune rayure."},
    )
    act(loos, agreement_url, "Clôturer la convention")

    malaunay.goto(agreement_url)
    evaluation = action_form(malaunay, "Déposer mon évaluation")
    evaluation.get_by_label("Satisfaction (de 1 à 5)").select_option("5")
    evaluation.get_by_label("Kilomètres parcourus").fill("240")
    evaluation.get_by_label("Véhicule").select_option("van")
    evaluation.get_by_label("Enseignements").fill("Prévoir deux agents pour le montage.")
    evaluation.get_by_role("button", name="Déposer mon évaluation").click()
    malaunay.wait_for_load_state()
    assert "Évaluation déposée" in malaunay.locator(".flash-messages").inner_text()

    loos.goto(agreement_url)
    evaluation = action_form(loos, "Déposer mon évaluation")
    evaluation.get_by_label("Satisfaction (de 1 à 5)").select_option("4")
    evaluation.get_by_role("button", name="Déposer mon évaluation").click()
    loos.wait_for_load_state()

    # The history shows every step, in French, in order.
    loos.goto(agreement_url)
    assert loos.locator(".agreement-status").first.inner_text() == "Évaluée"
    timeline = loos.locator("ol.timeline").inner_text()
    steps = [
        "Brouillon créé",
        "Conditions proposées",
        "Conditions acceptées",  # once: "Proposée → En attente de validation" (accord technique passed)
        "En attente de validation",
        "Validation au nom d'un territoire",
        "Validée",
        "Convention signée",
        "Signée",
        "Remise enregistrée",
        "En cours",
        "Restitution enregistrée",
        "Restituée",
        "Convention clôturée",
        "Clôturée",
        "Évaluation déposée",
        "Évaluée",
    ]
    positions = [timeline.find(step) for step in steps]
    assert -1 not in positions, dict(zip(steps, positions, strict=True))
    for text in ("Délibération 2026-42", "Podium complet, escalier, bon état.", "Rendu complet et propre"):
        assert text in timeline
    assert loos.locator("ol.timeline img.agreement-photo").count() == 1
    assert loos.get_by_text("Rien à faire pour vous à cette étape.").is_visible()
