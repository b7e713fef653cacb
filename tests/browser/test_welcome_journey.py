"""Issue 14 in a real browser: a new commune's technician invited from the mail folder, a
forgotten password, a visitor reading public pages and asking to join; axe-core on each new page."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

PASSWORD = "Audruicq partage 2026"
NEW_PASSWORD = "un tout nouveau mot de passe"
TECH = "technicienne@audruicq.fr"


@pytest.fixture(scope="module")
def audruicq(live_app):
    """Audruicq (62057) and its EPCI as the gazetteer describes them: new to the network."""
    from mutualisation.territories import gazetteer
    from mutualisation.territories.models import Territory
    from mutualisation.territories.search import normalize

    record = next(r for r in gazetteer.iter_communes() if r.insee_code == "62057")
    with live_app.app_context():
        from mutualisation.web import db_session

        session = db_session()
        if session.query(Territory).filter_by(code="62057").one_or_none() is None:
            fields = ("department_code", "department_name", "region_code", "region_name", "population")
            session.add(
                Territory(
                    code=record.insee_code,
                    kind="commune",
                    name=record.name,
                    search_name=normalize(record.name),
                    latitude=record.latitude,
                    longitude=record.longitude,
                    epci_code=record.epci_siren,
                    coordinates_source=record.coordinates_source,
                    **{f: getattr(record, f) for f in fields},
                )
            )
            session.commit()
    return record


def mail_link(live_app, to: str, prefix: str) -> str:
    folder = Path(live_app.config["INSTANCE_PATH"]) / "mail"
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",)).get_content()
            return re.search(rf"{prefix}/[A-Za-z0-9_-]+", text).group(0)
    raise AssertionError(f"no e-mail to {to}")


def test_facilitator_invites_audruicq_whose_technician_publishes_and_invites_an_actor(
    page, browser, live_server, live_app, audruicq
):
    log_in(page, "admin@mutualisation.demo")
    page.goto("/invitations")
    assert serious_violations(page) == []
    page.locator("#email").fill(TECH)
    page.locator("#role").select_option("technician")
    page.locator("#territory").fill("62057")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    assert page.get_by_text(f"Invitation envoyée à {TECH}.").is_visible()

    newcomer = browser.new_context(base_url=live_server, locale="fr-FR").new_page()
    newcomer.goto(mail_link(live_app, TECH, "/invitations"))
    assert "Audruicq" in newcomer.content()
    assert serious_violations(newcomer) == []
    newcomer.locator("#name").fill("Camille Durand")
    newcomer.locator("#job_title").fill("Technicienne environnement")
    newcomer.locator("#organisation").fill("Mairie d'Audruicq")
    newcomer.locator("#password").fill(PASSWORD)
    newcomer.locator("#confirm").fill(PASSWORD)
    newcomer.get_by_role("button", name="Créer mon compte").click()
    newcomer.wait_for_url(lambda url: "/invitations/" not in url)
    assert "Camille Durand" in newcomer.locator("h1").inner_text()

    newcomer.goto("/listings/new")
    newcomer.get_by_label("Type", exact=True).select_option("offer")
    newcomer.get_by_label("Catégorie", exact=True).select_option("equipment")
    newcomer.get_by_label("Sous-catégorie", exact=True).select_option("green_chipper")
    newcomer.get_by_label("Titre", exact=True).fill("Broyeur de végétaux d'Audruicq")
    newcomer.locator("form.listing-form button[type=submit]").click()
    newcomer.wait_for_url("**/listings/*")
    newcomer.get_by_role("button", name="Publier").click()
    assert newcomer.get_by_text("Annonce publiée.").is_visible()

    newcomer.goto("/invitations")
    assert (
        newcomer.locator("#role option[value='official']").count() == 0
    )  # a technician may not invite an official
    newcomer.locator("#email").fill("association@audruicq.fr")
    newcomer.locator("#role").select_option("actor")
    newcomer.get_by_role("button", name="Envoyer l'invitation").click()
    assert newcomer.get_by_text("Invitation envoyée à association@audruicq.fr.").is_visible()
    assert mail_link(live_app, "association@audruicq.fr", "/invitations")
    newcomer.context.close()


def test_a_forgotten_password_is_reset_and_old_sessions_and_tokens_stop(page, browser, live_server, live_app):
    email = "technician@grande-synthe.demo"
    old = browser.new_context(base_url=live_server, locale="fr-FR").new_page()
    log_in(old, email)
    token = old.request.post(
        "/api/v1/auth/tokens", data={"email": email, "password": "demo-password"}
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert old.request.get("/api/v1/me", headers=bearer).status == 200

    page.goto("/login")
    page.get_by_role("link", name="Mot de passe oublié\u00a0?").click()
    assert serious_violations(page) == []
    page.get_by_label("Courriel").fill(email)
    page.get_by_role("button", name="M'envoyer un lien").click()
    assert page.get_by_text("Si cette adresse correspond à un compte").is_visible()

    page.goto(mail_link(live_app, email, "/reset"))
    assert serious_violations(page) == []
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer mon mot de passe").click()
    page.wait_for_url("**/login")

    old.goto("/profile")
    assert "/login" in old.url  # the other browser's session ended
    assert old.request.get("/api/v1/me", headers=bearer).status == 401
    log_in(page, email, NEW_PASSWORD)
    old.context.close()


def test_a_visitor_reads_a_territory_page_and_public_listings_then_asks_to_join(page, audruicq):
    page.goto("/")
    assert page.get_by_text("Le réseau en chiffres").is_visible()
    assert serious_violations(page) == []
    page.goto("/territories/62528")
    assert "Loos-en-Gohelle" in page.locator("h1").inner_text()
    assert "@" not in page.locator("#contacts-title + *").inner_text()
    assert serious_violations(page) == []
    page.goto("/explore")
    assert page.locator(".list-group-item").count() >= 1
    assert serious_violations(page) == []

    page.goto("/join")
    page.get_by_label("Nom, code postal ou code INSEE").fill("Audruicq")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=re.compile("Audruicq \\(62057")).click()
    assert page.get_by_text("Territoire choisi\u00a0: Audruicq (62057)").is_visible()
    assert serious_violations(page) == []
    page.locator("#name").fill("Dominique Martin")
    page.locator("#email").fill("dominique@asso-audruicq.fr")
    page.locator("#motivation").fill("Notre association prête du matériel de fête.")
    page.get_by_role("button", name="Envoyer ma demande").click()
    assert page.get_by_text("Merci\u00a0: votre demande est envoyée.").is_visible()


def test_the_facilitators_join_requests_and_a_territory_edit_page_are_accessible(page):
    log_in(page, "admin@mutualisation.demo")
    for path in (
        "/join-requests",
        "/territories/62528/presentation",
        "/profile/public",
        "/admin/users?q=demo",
    ):
        page.goto(path)
        assert page.locator("h1").first.is_visible()
        assert serious_violations(page) == [], path
