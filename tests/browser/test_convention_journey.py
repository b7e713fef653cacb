"""The convention journey through the real pages, one browser context per person: a Grande-Synthe
need and a Loos-en-Gohelle offer, the suggestion accepted, the proposal, two approvals carrying
their decision, the PDF convention (read with pypdf), a signature in the app and a scan signed by
hand, and the frozen fingerprint on the page and in the timeline.

The author edits the prefilled draft and writes in the agreement's thread, which the other side
reads before accepting.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mutualisation.accounts.models import User
from mutualisation.agreements.convention import REQUIRED_ARTICLES
from mutualisation.matching import engine
from mutualisation.matching.scoring import MatchingConfig
from tests.browser.conftest import action_form, send_message
from tests.builders import make_neutral_listing

pytestmark = pytest.mark.browser

OFFER_TITLE = "Scène mobile 8 x 6 m (convention)"
NEED_TITLE = "Scène pour la fête des Nations (convention)"


PAGE_TIMEOUT_MS = 20_000  # the person fixture's: PDF pages take longer


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_text(data: bytes) -> str:
    return flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def submit(page, form, label: str) -> None:
    form.get_by_role("button", name=label).click()
    page.wait_for_load_state()
    # The confirmation says what happened (labels.DONE_MESSAGES), never "C'est fait : <button>".
    done = page.locator(".flash-messages .alert-success")
    assert done.count() == 1, (label, page.content()[:3000])
    assert "C'est fait" not in done.inner_text()


def act(page, agreement_url: str, label: str) -> None:
    page.goto(agreement_url)
    submit(page, action_form(page, label), label)


# The steps ---------------------------------------------------------------------------------------
def publish_the_need_and_the_offer(live_app) -> int:
    """Grande-Synthe needs a stage, Loos-en-Gohelle lends one: the matching suggests the pair."""
    with live_app.extensions["mutualisation.sessions"]() as session:
        owner = {u.email: u for u in session.scalars(select(User).where(User.email.like("technician@%")))}
        offer = make_neutral_listing(
            session,
            owner["technician@loos-en-gohelle.demo"],
            "offer",
            subcategory="event_stage",
            title=OFFER_TITLE,
        )
        need = make_neutral_listing(
            session,
            owner["technician@grande-synthe.demo"],
            "need",
            subcategory="event_stage",
            title=NEED_TITLE,
        )
        offer.max_distance_km = need.max_distance_km = 300.0
        session.commit()
        engine.full_recompute(session, MatchingConfig(), coop=[])
        session.commit()
        return need.id


def accept_the_suggestion(page, need_id: int) -> str:
    page.goto(f"/listings/{need_id}/suggestions")
    card = page.locator("li.card").filter(has=page.get_by_role("heading", name=OFFER_TITLE))
    card.get_by_role("button", name="Accepter").click()
    page.wait_for_url(re.compile(r"/agreements/\d+$"))
    return re.search(r"/agreements/\d+$", page.url).group(0)


def edit_the_draft(page, agreement_url: str) -> None:
    """The author adjusts the prefilled draft before proposing it."""
    page.goto(agreement_url)
    assert OFFER_TITLE in page.locator("main table").first.inner_text()
    edit = page.locator("form.agreement-edit")
    edit.get_by_label("Commentaire (facultatif)").fill("Un seul podium suffit.")
    edit.get_by_role("group", name="Ressource 1").get_by_label("Quantité").fill("1")
    edit.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    assert "Brouillon enregistré" in page.locator(".flash-messages").inner_text()


def talk_it_over(page, agreement_url: str) -> None:
    """A message in the agreement's own thread, which the other side reads later."""
    page.goto(agreement_url)
    send_message(page, "Le montage est-il compris ?")


def approve(page, agreement_url: str, kind: str, number: str, date: str) -> None:
    page.goto(agreement_url)
    form = action_form(page, "Valider au nom de mon territoire")
    form.get_by_label("Type de décision").select_option(kind)
    form.get_by_label("Numéro de la décision").fill(number)
    form.get_by_label("Date de la décision").fill(date)
    submit(page, form, "Valider au nom de mon territoire")


def read_the_convention(page, agreement_url: str) -> bytes:
    page.goto(agreement_url + "/convention")
    body = page.locator(".convention-body").inner_text()
    assert "Modèle à faire vérifier par votre service juridique" in body
    assert "Article 10 – Litiges et juridiction compétente" in flat(body)
    assert page.get_by_role("link", name="Télécharger le PDF").is_visible()
    response = page.request.get(agreement_url + "/convention.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return response.body()


def sign_in_the_app(page, agreement_url: str, issued_sha256: str) -> None:
    page.goto(agreement_url)
    form = action_form(page, "Signer la convention")
    assert form.locator(".sign-document-sha256").inner_text() == issued_sha256
    submit(page, form, "Signer la convention")


def sign_with_the_scan(page, agreement_url: str, scan: bytes) -> None:
    page.goto(agreement_url)
    form = action_form(page, "Signer la convention")
    form.get_by_label("Comment signez-vous ?").select_option("upload")
    form.get_by_label("La convention signée à la main, numérisée en PDF (pour un dépôt)").set_input_files(
        [{"name": "convention-signee.pdf", "mimeType": "application/pdf", "buffer": scan}]
    )
    submit(page, form, "Signer la convention")


def test_a_need_and_an_offer_become_a_signed_convention_through_the_pages(person, live_app, tmp_path):
    need_id = publish_the_need_and_the_offer(live_app)
    grande_synthe = person("technician@grande-synthe.demo")
    agreement_url = accept_the_suggestion(grande_synthe, need_id)
    edit_the_draft(grande_synthe, agreement_url)
    talk_it_over(grande_synthe, agreement_url)
    act(grande_synthe, agreement_url, "Proposer")
    loos = person("technician@loos-en-gohelle.demo")
    loos.goto(agreement_url)
    assert "Le montage est-il compris ?" in loos.locator("#messages").inner_text()
    act(loos, agreement_url, "Accepter ces conditions")

    gs_official = person("official@grande-synthe.demo")
    approve(gs_official, agreement_url, "deliberation", "2026-042", "2026-04-12")
    loos_official = person("official@loos-en-gohelle.demo")
    approve(loos_official, agreement_url, "delegation", "DEC-2026-17", "2026-04-20")
    loos_official.goto(agreement_url)
    approvals = flat(" ".join(loos_official.locator("li.agreement-approval").all_inner_texts()))
    assert "Délibération du conseil municipal n° 2026-042 du 12 avril 2026" in approvals

    issued = read_the_convention(gs_official, agreement_url)
    issued_sha256 = hashlib.sha256(issued).hexdigest()
    text = pdf_text(issued)
    assert "La commune de Grande-Synthe" in text and "La commune de Loos-en-Gohelle" in text

    sign_in_the_app(gs_official, agreement_url, issued_sha256)
    scan = issued + b"\n% signed by hand and scanned\n"
    sign_with_the_scan(loos_official, agreement_url, scan)

    # Frozen: the fingerprint on the page, in the timeline, in the API and printed on the PDF.
    grande_synthe.goto(agreement_url)
    assert issued_sha256 in grande_synthe.locator(".convention-frozen").inner_text()
    assert issued_sha256 in grande_synthe.locator(".timeline-fingerprint").inner_text()
    assert hashlib.sha256(scan).hexdigest() in grande_synthe.locator("main").inner_text()
    detail = grande_synthe.request.get("/api/v1/agreements/" + agreement_url.rsplit("/", 1)[1]).json()
    assert detail["status"] == "signed" and detail["convention_sha256"] == issued_sha256
    frozen = pdf_text(grande_synthe.request.get(agreement_url + "/convention.pdf").body())
    for number, (_key, title) in enumerate(REQUIRED_ARTICLES, start=1):
        assert f"Article {number} – {title}" in frozen, title
    assert "délibération du conseil municipal n° 2026-042 du 12 avril 2026" in frozen
    assert "Fait à Loos-en-Gohelle, le" in frozen
    assert issued_sha256 in frozen.replace(" ", "")
