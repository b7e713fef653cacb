"""Report photos and refused actions on the agreement page: French messages, kept input, private photos."""

from __future__ import annotations

import dataclasses
import io
import re
from html import unescape

import pytest

from mutualisation.agreements.models import Agreement, AgreementEvent
from mutualisation.settings import settings_of
from tests.builders import csrf_token, login, make_agreement, make_user

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def people(session):
    return {
        "loos_tech": make_user(session, "technician", LOOS),
        "mal_tech": make_user(session, "technician", MALAUNAY),
        "mene_tech": make_user(session, "technician", LE_MENE),
    }


def _start(client, agreement_id: int, files, report: str = "Bon état général."):
    path = f"/agreements/{agreement_id}"
    token = csrf_token(client, path)
    return client.post(
        f"{path}/actions/start",
        data={
            "start-csrf_token": token,
            "start-version": "1",
            "start-report": report,
            "start-confirm": "y",  # the agreed period is in 2030: a handover today is early (timing.py)
            "start-photos": [(io.BytesIO(data), name) for name, data in files],
        },
        content_type="multipart/form-data",
    )


def _photo_urls(html: str, agreement_id: int) -> list[str]:
    return sorted(set(re.findall(rf'src="(/agreements/{agreement_id}/photos/[0-9a-f]+\.(?:jpg|png))"', html)))


def test_a_handover_with_photos_shows_thumbnails_that_only_parties_can_fetch(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "signed")
    login(client, people["mal_tech"])
    response = _start(client, agreement.id, [("avant.jpg", JPEG), ("détail.png", PNG)])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    urls = _photo_urls(page, agreement.id)
    assert len(urls) == 2
    assert 'alt="Photo 1 du rapport' in page
    fetched = client.get(next(u for u in urls if u.endswith(".jpg")))
    assert fetched.status_code == 200
    assert fetched.mimetype == "image/jpeg" and fetched.data == JPEG
    assert "private" in fetched.headers["Cache-Control"]

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, people["loos_tech"])
    assert client.get(urls[0]).status_code == 200  # the other party

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, people["mene_tech"])
    assert client.get(urls[0]).status_code == 403  # not a party
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(urls[0]).status_code in (302, 401)  # not logged in


def test_a_file_that_is_not_a_jpeg_or_png_is_refused_with_a_french_field_error(client, session, people, app):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "signed")
    login(client, people["mal_tech"])
    disguised = b"%PDF-1.7 not a photo at all"
    response = _start(client, agreement.id, [("photo.jpg", disguised)], report="Rapport gardé")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Seules les photos JPEG ou PNG sont acceptées." in html
    assert "Rapport gardé" in html  # the user's input is kept
    session.expire_all()
    assert session.get(Agreement, agreement.id).status == "signed"
    assert not (app.instance_path and _stored_files(app, agreement.id))


def test_a_photo_over_the_configured_size_is_refused(client, session, people, app):
    typed = settings_of(app)
    limited = dataclasses.replace(typed.agreements, max_photo_bytes=1024)
    app.extensions["mutualisation.settings"] = dataclasses.replace(typed, agreements=limited)
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "signed")
    login(client, people["mal_tech"])
    big = JPEG + b"\x00" * 2048
    response = _start(client, agreement.id, [("grande.jpg", big)])
    assert response.status_code == 422
    assert "grande.jpg\u00a0: Chaque photo doit peser au plus" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Agreement, agreement.id).status == "signed"
    assert not _stored_files(app, agreement.id)


def test_an_unknown_or_malformed_photo_name_is_not_found(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "signed")
    login(client, people["mal_tech"])
    assert client.get(f"/agreements/{agreement.id}/photos/{'0' * 32}.jpg").status_code == 404
    assert client.get(f"/agreements/{agreement.id}/photos/..%2Fsecret_key").status_code == 404


def test_stale_terms_on_a_page_action_reload_the_agreement_with_a_french_message(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    login(client, people["loos_tech"])
    path = f"/agreements/{agreement.id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/actions/accept",
        data={"accept-csrf_token": token, "accept-version": "0"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "Les conditions ont changé depuis votre lecture" in html
    assert f'name="accept-version" type="hidden" value="{agreement.terms_version}"' in html
    session.expire_all()
    assert session.get(Agreement, agreement.id).status == "proposed"


def test_an_action_no_longer_possible_shows_a_french_message_and_keeps_the_input(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "signed")
    login(client, people["mal_tech"])
    path = f"/agreements/{agreement.id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/actions/return",
        data={"return-csrf_token": token, "return-version": "1", "return-report": "Mon rapport de retour"},
    )
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Cette action n'est pas possible dans l'état actuel de la convention." in html
    assert "Mon rapport de retour" in html
    events = session.query(AgreementEvent).filter_by(agreement_id=agreement.id, action="return").count()
    assert events == 0


def _stored_files(app, agreement_id: int) -> list:
    from pathlib import Path

    folder = Path(app.instance_path) / "uploads" / "agreements" / str(agreement_id)
    return list(folder.glob("*")) if folder.exists() else []


def test_a_counter_proposal_through_the_page_keeps_every_resource_line(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "proposed")
    login(client, people["loos_tech"])
    path = f"/agreements/{agreement.id}"
    page = unescape(client.get(path).get_data(as_text=True))
    assert 'name="counter_propose-lines-0-description"' in page
    assert 'name="counter_propose-lines-2-description"' in page  # spare blank rows
    token = csrf_token(client, path)
    data = {
        "counter_propose-csrf_token": token,
        "counter_propose-version": "1",
        "counter_propose-lines-0-description": "Podium",
        "counter_propose-lines-0-quantity": "1",
        "counter_propose-lines-2-description": "Escalier",
        "counter_propose-lines-2-quantity": "-3",
        "counter_propose-kind": "loan",
        "counter_propose-starts_on": "2030-06-01",
        "counter_propose-ends_on": "2030-06-05",
    }
    refused = client.post(f"{path}/actions/counter_propose", data=data)
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert 'value="Escalier"' in html  # the input is kept
    data["counter_propose-lines-2-quantity"] = "2"
    assert client.post(f"{path}/actions/counter_propose", data=data).status_code == 302
    session.expire_all()
    terms = session.get(Agreement, agreement.id).current_terms()
    assert [(line["description"], line["quantity"]) for line in terms.lines] == [
        ("Podium", 1.0),
        ("Escalier", 2.0),
    ]
