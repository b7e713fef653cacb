"""The way in through HTTP: forgotten password, invitations, join requests, territory pages."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from mutualisation.accounts.services import create_token
from tests.builders import csrf_token, login, make_listing, make_territory, make_user

NEW_PASSWORD = "a brand new passphrase"


def mails(app) -> list:
    folder = Path(app.config["INSTANCE_PATH"]) / "mail"
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime) if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]


def link_in(message, prefix: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"https?://[^\s]+({prefix}/[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def test_the_login_page_offers_a_forgotten_password_link(client):
    html = client.get("/login").get_data(as_text=True)
    assert "Mot de passe oublié\u00a0?" in html and 'href="/password/forgot"' in html


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(client, session, app):
    user = make_user(session)
    answers = []
    for email in (user.email, "nobody@example.org"):
        token = csrf_token(client, "/password/forgot")
        response = client.post(
            "/password/forgot", data={"email": email, "csrf_token": token}, follow_redirects=True
        )
        answers.append(re.sub(r'value="[^"]+"', "", response.get_data(as_text=True)))
    assert answers[0] == answers[1]
    assert "Si cette adresse correspond à un compte" in answers[0]
    assert [m["To"] for m in mails(app)] == [user.email]


def test_a_reset_from_the_mail_folder_ends_old_sessions_and_api_tokens(client, session, app):
    user = make_user(session)
    _token, clear = create_token(session, user, "script")
    other_browser = app.test_client()
    login(other_browser, user)
    assert other_browser.get("/profile").status_code == 200
    token = csrf_token(client, "/password/forgot")
    client.post("/password/forgot", data={"email": user.email, "csrf_token": token})
    path = link_in(mails(app)[-1], "/reset")
    form = csrf_token(client, path)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": form})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert other_browser.get("/profile").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 401
    assert login(client, user, NEW_PASSWORD).status_code == 302
    assert client.get(path).status_code == 404  # single use


def test_a_weak_password_on_the_reset_page_shows_a_french_field_error(client, session, app):
    user = make_user(session)
    client.post(
        "/password/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/password/forgot")}
    )
    path = link_in(mails(app)[-1], "/reset")
    html = client.post(
        path, data={"password": "short", "confirm": "short", "csrf_token": csrf_token(client, path)}
    ).get_data(as_text=True)
    assert "au moins 10 caractères" in html


def test_facilitator_invites_a_technician_of_audruicq_who_then_invites_an_actor(client, session, app):
    admin = make_user(session, "admin")
    make_territory(session, "62057", name="Audruicq")
    login(client, admin)
    response = client.post(
        "/invitations",
        data={
            "email": "tech@audruicq.fr",
            "role": "technician",
            "territory": "62057",
            "csrf_token": csrf_token(client, "/invitations"),
        },
        follow_redirects=True,
    )
    assert "Invitation envoyée à tech@audruicq.fr" in response.get_data(as_text=True)
    path = link_in(mails(app)[-1], "/invitations")
    newcomer = app.test_client()
    page = newcomer.get(path).get_data(as_text=True)
    assert "Audruicq" in page
    accepted = newcomer.post(
        path,
        data={
            "name": "Camille Durand",
            "job_title": "Technicienne",
            "organisation": "Mairie d'Audruicq",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(newcomer, path),
        },
    )
    assert accepted.status_code == 302
    assert "Camille Durand" in newcomer.get("/").get_data(as_text=True)
    invited = newcomer.post(
        "/invitations",
        data={
            "email": "asso@audruicq.fr",
            "role": "actor",
            "territory": "62057",
            "csrf_token": csrf_token(newcomer, "/invitations"),
        },
    )
    assert invited.status_code == 302 and mails(app)[-1]["To"] == "asso@audruicq.fr"
    assert newcomer.get(path).status_code == 404


def test_an_actor_cannot_open_the_invitations_page(client, session):
    login(client, make_user(session, "actor"))
    assert client.get("/invitations").status_code == 403


def test_a_visitor_asks_to_join_with_a_commune_from_the_gazetteer(client, session):
    make_territory(session, "62057", name="Audruicq")
    found = client.get("/join?q=62057").get_data(as_text=True)
    assert "Audruicq" in found and "territory=62057" in found
    response = client.post(
        "/join?territory=62057",
        data={
            "territory": "62057",
            "name": "Dominique",
            "email": "d@audruicq.fr",
            "motivation": "Nous voulons partager",
            "csrf_token": csrf_token(client, "/join?territory=62057"),
        },
    )
    assert response.status_code == 302
    admin = make_user(session, "admin")
    login(client, admin)
    html = client.get("/join-requests").get_data(as_text=True)
    assert "Dominique" in html and "Nous voulons partager" in html


def test_a_territory_page_is_public_and_hides_emails_unless_opted_in(client, session):
    shy = make_user(session, "technician", "62528", name="Sam Discret")
    open_ = make_user(session, "official", "62528", name="Alex Ouvert", email_public=True)
    make_listing(session, shy, "offer", title="Broyeur de végétaux")
    html = client.get("/territories/62528").get_data(as_text=True)
    assert "Loos-en-Gohelle" in html and "Broyeur de végétaux" in html
    assert "Sam Discret" in html and shy.email not in html
    assert open_.email in html
    assert client.get("/territories/99999").status_code == 404


def test_staff_edit_their_territorys_presentation(client, session):
    tech = make_user(session, "technician", "62528")
    login(client, tech)
    path = "/territories/62528/presentation"
    response = client.post(
        path,
        data={
            "presentation": "Ville pilote de la transition.",
            "version": "",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert response.status_code == 302
    assert "Ville pilote de la transition." in client.get("/territories/62528").get_data(as_text=True)
    login(client, make_user(session, "technician", "76402"))
    denied = client.post(
        path, data={"presentation": "x", "version": "", "csrf_token": csrf_token(client, path)}
    )
    assert denied.status_code == 403


def test_public_listings_page_never_names_owners(client, session):
    owner = make_user(session, "technician", name="Nom Secret")
    make_listing(session, owner, "need", title="Besoin de barnums")
    html = client.get("/explore").get_data(as_text=True)
    assert "Besoin de barnums" in html and "Nom Secret" not in html


def test_a_person_edits_their_public_profile(client, session):
    user = make_user(session)
    login(client, user)
    path = "/profile/public"
    client.post(
        path,
        data={
            "name": "Claude",
            "job_title": "Chargée de mission",
            "organisation": "Mairie",
            "email_public": "y",
            "csrf_token": csrf_token(client, path),
        },
    )
    html = client.get(f"/territories/{user.territory.code}").get_data(as_text=True)
    assert "Claude, Chargée de mission (Mairie)" in html and user.email in html


def test_an_actors_dashboard_says_what_they_can_do(client, session):
    login(client, make_user(session, "actor"))
    html = client.get("/").get_data(as_text=True)
    assert "Ce que vous pouvez faire ici" in html
    assert "Répondre à un besoin" in html and "Suivre vos conventions" in html


def test_the_facilitators_dashboard_counts_waiting_join_requests(client, session):
    from mutualisation.welcome import join

    make_territory(session, "62057", name="Audruicq")
    join.submit(session, territory_code="62057", name="D", email="d@example.org", motivation="M")
    login(client, make_user(session, "admin"))
    assert "Demandes d'adhésion en attente\u00a0: 1" in client.get("/").get_data(as_text=True)


def test_the_home_page_shows_the_networks_figures_and_ways_in(client, session):
    tech = make_user(session, "technician")
    make_listing(session, tech, "offer")
    html = client.get("/").get_data(as_text=True)
    assert "Le réseau en chiffres" in html and "Territoires membres" in html
    assert 'href="/join"' in html and 'href="/explore"' in html and 'href="/login"' in html


def test_the_admin_users_page_filters_and_links_invitations_and_requests(client, session):
    make_user(session, "official", "76402", name="Dominique Lefèvre")
    make_user(session, "technician", "62528", name="Camille Autre")
    login(client, make_user(session, "admin"))
    html = client.get("/admin/users?q=lef&role=official&territory=76402&active=yes").get_data(as_text=True)
    assert "Dominique Lefèvre" in html and "Camille Autre" not in html
    assert 'href="/invitations"' in html and 'href="/join-requests"' in html
    assert client.get("/admin/users?role=nobody&active=zzz&page=1").status_code == 200
