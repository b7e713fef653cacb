"""A notification reads in the language its reader has chosen, with dates and plurals of that
language: the centre renders the kept message again; e-mails keep the recipient's language."""

from __future__ import annotations

from datetime import date

from mutualisation.db import transaction
from mutualisation.i18n import NP_
from mutualisation.notifications.services import notify
from tests.builders import login, make_user


def _write(app, session, user, subject, body="", **params):
    with app.test_request_context(), transaction(session):
        notification = notify(
            session, user, "listing.expiring", subject, body, link="/notifications", **params
        )
    return notification


def test_the_centre_shows_a_notification_in_the_language_chosen_since(app, client, session):
    user = make_user(session, "technician", locale="fr")
    notification = _write(
        app,
        session,
        user,
        'Your listing "%(title)s" expires on %(date)s',
        title="Broyeur",
        date=date(2027, 5, 3),
    )
    assert notification.subject == "Votre annonce «\u00a0Broyeur\u00a0» expire le 3 mai 2027"
    login(client, user)

    assert "expire le 3 mai 2027" in client.get("/notifications").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/notifications").get_data(as_text=True)
    assert 'Your listing "Broyeur" expires on May 3, 2027' in english.replace("&#34;", '"').replace(
        "&quot;", '"'
    )
    assert "Votre annonce" not in english


def test_a_plural_notification_picks_its_form_in_each_language(app, client, session):
    user = make_user(session, "technician", locale="fr")
    text = NP_(
        "One of your listings has new suggestions.", "%(count)s of your listings have new suggestions."
    )
    one = _write(app, session, user, "New matching suggestions", text, count=1)
    three = _write(app, session, user, "New matching suggestions", text, count=3)

    assert one.body == "Une de vos annonces a de nouvelles suggestions."
    assert three.body == "3 de vos annonces ont de nouvelles suggestions."
    login(client, user)
    client.get("/lang/en")
    english = client.get("/notifications").get_data(as_text=True)
    assert "One of your listings has new suggestions." in english
    assert "3 of your listings have new suggestions." in english
