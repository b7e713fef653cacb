"""The accessibility statement a public body owes (RGAA 4.1 model), linked from every footer."""

from __future__ import annotations

import html as htmllib

import pytest

from tests.builders import login, make_user


def _text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/", "/explore", "/login", "/join", "/sheets", "/impact"])
def test_every_public_page_links_the_statement_in_its_footer(client, path):
    page = _text(client.get(path))
    footer = page.split("<footer", 1)[1]
    assert 'href="/accessibilite"' in footer and "Déclaration d'accessibilité" in footer


def test_a_logged_in_page_links_it_too(client, session):
    login(client, make_user(session))
    footer = _text(client.get("/listings/")).split("<footer", 1)[1]
    assert 'href="/accessibilite"' in footer


def test_the_statement_follows_the_rgaa_model_in_french(client):
    response = client.get("/accessibilite")
    page = _text(response)
    assert response.status_code == 200
    for heading in (
        "Déclaration d'accessibilité",
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Non-conformités",
        "Dérogations pour charge disproportionnée",
        "Retour d'information et contact",
        "Voies de recours",
    ):
        assert heading in page, heading
    assert "partiellement conforme avec le RGAA 4.1" in page
    assert "Aucun audit de conformité" in page
    assert 'href="mailto:accessibilite@mutualisation.invalid"' in page
    assert "https://formulaire.defenseurdesdroits.fr/" in page
    assert "Libre réponse 71120" in page and "75342 Paris CEDEX 07" in page


def test_the_statement_declares_what_the_settings_say(engine, session_factory, tmp_path):
    from mutualisation.app import create_app

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "accessibility": {
                "status": "full",
                "audit_date": "2026-03-15",
                "compliance_rate": "100 %",
                "publisher": "Ville de Malaunay",
                "contact_email": "a11y@malaunay.example",
                "contact_url": "https://malaunay.example/contact",
            },
        }
    )
    app.extensions["mutualisation.sessions"] = session_factory
    page = _text(app.test_client().get("/accessibilite"))
    assert "Ville de Malaunay s'engage" in page and "totalement conforme" in page
    assert "15 mars 2026" in page and "100 %" in page
    assert "a11y@malaunay.example" in page and 'href="https://malaunay.example/contact"' in page
    assert "Les non-conformités et les dérogations" not in page


def test_the_statement_reads_in_english_too(client):
    client.get("/lang/en")
    page = _text(client.get("/accessibilite"))
    assert "Accessibility statement" in page and "partially compliant" in page
