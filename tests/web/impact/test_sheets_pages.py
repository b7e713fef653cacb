"""Sheet and impact pages over HTTP: public reading, CSRF-protected forms with French errors."""

from __future__ import annotations

import re

from tests.builders import csrf_token, login
from tests.sheet_builders import make_evaluated_agreement, make_sheet

LOOS, MALAUNAY = "62528", "76402"


def test_a_visitor_reads_the_sheets_a_published_sheet_and_the_dashboards(client, session, people):
    sheet = make_sheet(session, people["loos_tech"], people["loos_official"], title="Prêt de broyeur")
    draft = make_sheet(session, people["loos_tech"], title="Brouillon caché")
    listing = client.get("/sheets").get_data(as_text=True)
    assert "Prêt de broyeur" in listing and "Brouillon caché" not in listing
    page = client.get(f"/sheets/{sheet.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "CC BY-SA 4.0" in html and "Contradictions" in html and "Se connecter" in html
    assert people["loos_tech"].email not in html
    assert client.get(f"/sheets/{draft.id}").status_code == 404
    assert client.get(f"/sheets/{sheet.id}/revisions").status_code == 200
    for path in ("/impact", f"/impact/territory/{LOOS}", "/impact/category/equipment", "/impact/summary"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "<title" in answer.get_data(as_text=True)
    assert client.get("/impact/territory/00000").status_code == 404
    assert client.get("/impact/category/astrology").status_code == 404
    assert client.get("/impact?year=abc").status_code == 404


def test_a_sheet_search_with_no_word_to_look_for_says_it_filters_nothing(client, session, people):
    make_sheet(session, people["loos_tech"], people["loos_official"], title="Prêt de broyeur")
    html = client.get("/sheets?q=les").get_data(as_text=True)
    assert 'data-testid="text-filters-nothing"' in html and "Prêt de broyeur" in html
    assert 'data-testid="text-filters-nothing"' not in client.get("/sheets?q=broyeur").get_data(as_text=True)


def test_the_sheet_form_shows_french_field_errors_and_needs_csrf(client, session, people):
    login(client, people["loos_tech"])
    refused = client.post("/sheets/new", data={"title": "Sans jeton"})
    assert refused.status_code in (200, 400)
    token = csrf_token(client, "/sheets/new")
    answer = client.post(
        "/sheets/new", data={"csrf_token": token, "title": "", "contacts": "marie@exemple.fr"}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Un titre est obligatoire." in html
    assert "adresses e-mail personnelles" in html
    created = client.post(
        "/sheets/new",
        data={
            "csrf_token": token,
            "title": "Covoiturage des agents",
            "themes": ["mobility"],
            "method": "Étape 1",
        },
    )
    assert created.status_code == 302
    sheet_url = created.headers["Location"]
    edit_page = client.get(f"{sheet_url}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit_page).group(1)
    edited = client.post(
        f"{sheet_url}/edit",
        data={
            "csrf_token": token,
            "title": "Covoiturage des agents",
            "method": "Étape 1\nÉtape 2",
            "version": version,
        },
    )
    assert edited.status_code == 302
    stale = client.post(f"{sheet_url}/edit", data={"csrf_token": token, "title": "Autre", "version": version})
    assert "modifiée par quelqu" in stale.get_data(as_text=True)


def test_one_submission_of_a_sheet_names_the_forms_and_the_rules_mistakes(client, session, people):
    """A population that is not a number stopped the form before the sheet rules ran: the missing
    title and the e-mail address in the contacts only showed on the next try."""
    login(client, people["loos_tech"])
    token = csrf_token(client, "/sheets/new")
    data = {"csrf_token": token, "title": "", "population": "beaucoup", "contacts": "marie@exemple.fr"}
    html = client.post("/sheets/new", data=data).get_data(as_text=True)
    summary = re.search(r'id="error-summary".*?</ul>', html, re.S).group(0)
    assert set(re.findall(r'href="#(\w+)"', summary)) == {"title", "population", "contacts"}
    assert "Un titre est obligatoire." in summary and "adresses e-mail personnelles" in summary


def test_an_official_publishes_a_sheet_drafted_from_an_evaluated_agreement(client, session, people):
    agreement = make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"])
    login(client, people["loos_tech"])
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Rédiger une fiche" in page and "1 200 €" in page.replace("\u202f", " ").replace("\xa0", " ")
    token = csrf_token(client, f"/agreements/{agreement.id}")
    drafted = client.post(f"/sheets/from-agreement/{agreement.id}", data={"csrf_token": token})
    assert drafted.status_code == 302 and drafted.headers["Location"].endswith("/edit")
    sheet_id = int(re.search(r"/sheets/(\d+)/edit", drafted.headers["Location"]).group(1))
    client.post("/logout", data={"csrf_token": token})
    login(client, people["loos_official"])
    token = csrf_token(client, f"/sheets/{sheet_id}")
    published = client.post(f"/sheets/{sheet_id}/publish", data={"csrf_token": token})
    assert published.status_code == 302
    client.post("/logout", data={"csrf_token": token})
    assert client.get(f"/sheets/{sheet_id}").status_code == 200


def test_a_peer_marks_a_reuse_and_posts_a_contradiction_shown_beside_the_text(client, session, people):
    sheet = make_sheet(session, people["loos_tech"], people["loos_official"])
    login(client, people["mal_tech"])
    token = csrf_token(client, f"/sheets/{sheet.id}")
    for kind, body in (("reuse", "Repris à Malaunay"), ("contradiction", "Le délai ne tient pas")):
        answer = client.post(
            f"/sheets/{sheet.id}/reactions", data={"csrf_token": token, "kind": kind, "body": body}
        )
        assert answer.status_code == 302
    html = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    aside = html[html.index('aria-labelledby="contradictions-title"') :]
    assert "Le délai ne tient pas" in aside.split("</aside>")[0]
    assert "Repris à Malaunay" in html
    empty = client.post(
        f"/sheets/{sheet.id}/reactions", data={"csrf_token": token, "kind": "comment", "body": ""}
    )
    assert empty.status_code == 302


def test_a_published_sheet_downloads_as_a_pdf_with_its_title_sections_licence_and_credits(
    client, session, people
):
    from io import BytesIO

    from pypdf import PdfReader

    sheet = make_sheet(session, people["loos_tech"], people["loos_official"], title="Prêt de broyeur")
    answer = client.get(f"/sheets/{sheet.id}.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(answer.data)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Prêt de broyeur" in text
    assert "Contexte" in text and "La méthode" in text and "Réserver six semaines avant." in text
    assert "CC BY-SA 4.0" in text and "Crédits" in text
    assert sheet.territory.name in text
    assert people["loos_tech"].email not in text
    assert f"/sheets/{sheet.id}.pdf" in client.get(f"/sheets/{sheet.id}").get_data(as_text=True)


def test_a_draft_sheet_pdf_is_hidden_from_visitors_and_other_territories(client, session, people):
    draft = make_sheet(session, people["loos_tech"], title="Brouillon caché")
    assert client.get(f"/sheets/{draft.id}.pdf").status_code == 404
    login(client, people["mal_tech"])
    assert client.get(f"/sheets/{draft.id}.pdf").status_code == 404
    login(client, people["loos_official"])
    assert client.get(f"/sheets/{draft.id}.pdf").status_code == 200


def test_a_territory_page_shows_its_published_sheets_and_its_evaluated_impact(client, session, people):
    make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"], money_saved_eur=1234)
    sheet = make_sheet(session, people["loos_tech"], people["loos_official"], title="Prêt de broyeur")
    make_sheet(session, people["loos_tech"], title="Brouillon caché")
    make_sheet(session, people["mal_tech"], people["mal_official"], title="Fiche de Malaunay")
    html = client.get(f"/territories/{LOOS}").get_data(as_text=True)
    assert f'href="/sheets/{sheet.id}"' in html and "Prêt de broyeur" in html
    assert "Brouillon caché" not in html and "Fiche de Malaunay" not in html
    assert f'href="/impact/territory/{LOOS}"' in html
    impact = html.split('id="impact-title"')[1].split("</section>")[0]
    assert re.search(r"Économies réalisées</dt><dd[^>]*>1[\s\u202f\xa0]?234[\s\u202f\xa0]€<", impact), impact
    empty = client.get("/territories/76402").get_data(as_text=True)
    assert "Fiche de Malaunay" in empty and "Prêt de broyeur" not in empty
