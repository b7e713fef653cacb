"""WTForms' own messages, read from a catalogue parsed once per process and locale (issue 10 item 17):
each request still gets the reader's language, whatever language the previous request used."""

from __future__ import annotations

import html as htmllib

from tests.builders import csrf_token, login, make_user

FORM = {
    "kind": "need",
    "category": "unknown",  # refused by WTForms' own choice validator, with WTForms' own message
    "subcategory": "green_chipper",
    "title": "Broyeur de végétaux",
    "description": "Pour les tailles de printemps",
    "logistics": "both",
    "conditions": "loan",
}


def _bad_choice_page(client, lang: str) -> str:
    path = f"/listings/new?lang={lang}"
    response = client.post(path, data=FORM | {"csrf_token": csrf_token(client, path)})
    assert response.status_code == 200
    return htmllib.unescape(response.get_data(as_text=True))


def test_wtforms_messages_follow_the_readers_language_from_one_request_to_the_next(client, session):
    login(client, make_user(session, "technician", "76402"))
    assert "N'est pas un choix valide." in _bad_choice_page(client, "fr")
    english = _bad_choice_page(client, "en")
    assert "Not a valid choice." in english and "N'est pas un choix valide." not in english
    assert "N'est pas un choix valide." in _bad_choice_page(client, "fr")
