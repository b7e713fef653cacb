"""The convention's doors: who gets the PDF, approvals with their act attached, signatures by
upload, the avenant, and the legal text that stays French for an English reader."""

from __future__ import annotations

import dataclasses
import hashlib
import io

import pytest

from mutualisation.agreements.models import Agreement
from mutualisation.settings import settings_of
from tests.builders import bearer, csrf_token, login, make_agreement, make_people

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"
ACT = {"decision_kind": "arrete", "decision_reference": "A-12", "decision_date": "2026-04-12"}


@pytest.fixture
def people(session):
    return make_people(
        session, "loos_tech", "loos_official", "mal_tech", "mal_official", "mene_official", "admin"
    )


def transition(client, headers, agreement_id, action, **fields):
    version = client.get(f"/api/v1/agreements/{agreement_id}", headers=headers).get_json()["version"]
    return client.post(
        f"/api/v1/agreements/{agreement_id}/transitions",
        json={"action": action, "version": version, **fields},
        headers=headers,
    )


def approved(client, session, people) -> int:
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    for who in ("mal_official", "loos_official"):
        response = transition(client, bearer(session, people[who]), agreement.id, "approve", **ACT)
        assert response.status_code == 200, response.get_json()
    return agreement.id


def post_action(client, agreement_id, action, data):
    token = csrf_token(client, f"/agreements/{agreement_id}")
    fields = {f"{action}-csrf_token": token, f"{action}-version": "1"}
    fields.update({f"{action}-{name}": value for name, value in data.items()})
    return client.post(
        f"/agreements/{agreement_id}/actions/{action}", data=fields, content_type="multipart/form-data"
    )


def test_the_pdf_goes_to_the_parties_and_admins_only(client, session, people):
    pending = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    party = bearer(session, people["mal_tech"])
    assert client.get(f"/api/v1/agreements/{pending.id}/convention.pdf", headers=party).status_code == 404
    agreement_id = approved(client, session, people)
    path = f"/api/v1/agreements/{agreement_id}/convention.pdf"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(session, people["mene_official"])).status_code == 403
    assert client.get(path, headers=bearer(session, people["admin"])).status_code == 200
    answer = client.get(path, headers=party)
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF-")
    login(client, people["mene_official"])
    assert client.get(f"/agreements/{agreement_id}/convention.pdf").status_code == 403


def test_an_official_attaches_the_act_as_a_pdf_and_parties_read_it(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    login(client, people["loos_official"])
    refused = post_action(
        client, agreement.id, "approve", {**ACT, "decision_document": (io.BytesIO(b"GIF89a"), "acte.pdf")}
    )
    assert refused.status_code == 422 and "Seul un fichier PDF est accepté" in refused.get_data(as_text=True)
    act = b"%PDF-1.4 arrete du maire"
    done = post_action(
        client, agreement.id, "approve", {**ACT, "decision_document": (io.BytesIO(act), "acte.pdf")}
    )
    assert done.status_code == 302
    session.expire_all()
    (approval,) = session.get(Agreement, agreement.id).approvals
    assert (approval.decision_kind, approval.decision_reference) == ("arrete", "A-12")
    url = f"/agreements/{agreement.id}/documents/approval/{approval.id}.pdf"
    assert client.get(url).data == act
    detail = client.get(f"/api/v1/agreements/{agreement.id}").get_json()
    assert detail["approvals"][0]["decision_document_url"] == url
    assert detail["approvals"][0]["decision_date"] == "2026-04-12"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, people["mene_official"])
    assert client.get(url).status_code == 403


def test_an_act_over_the_configured_size_is_refused(app, client, session, people):
    """The page reads the limit from the settings: a PDF one byte over it is refused, nothing kept."""
    typed = settings_of(app)
    limited = dataclasses.replace(typed.agreements, max_pdf_bytes=64)
    app.extensions["mutualisation.settings"] = dataclasses.replace(typed, agreements=limited)
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    login(client, people["loos_official"])
    act = b"%PDF-1.4 " + b"x" * 56
    refused = post_action(
        client, agreement.id, "approve", {**ACT, "decision_document": (io.BytesIO(act), "acte.pdf")}
    )
    assert refused.status_code == 422 and "Ce PDF est trop volumineux." in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Agreement, agreement.id).approvals == []
    done = post_action(
        client, agreement.id, "approve", {**ACT, "decision_document": (io.BytesIO(act[:64]), "acte.pdf")}
    )
    assert done.status_code == 302


def test_the_approval_form_asks_for_the_act(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "pending_approval")
    login(client, people["loos_official"])
    response = post_action(client, agreement.id, "approve", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "Choisissez le type de décision.",
        "Indiquez le numéro",
        "Indiquez la date de la décision.",
    ):
        assert message in page


def test_a_scan_signed_by_hand_is_kept_with_its_hash(client, session, people):
    agreement_id = approved(client, session, people)
    login(client, people["loos_official"])
    page = client.get(f"/agreements/{agreement_id}").get_data(as_text=True)
    assert "Comment signez-vous" in page and 'enctype="multipart/form-data"' in page
    missing = post_action(client, agreement_id, "sign", {"method": "upload"})
    assert missing.status_code == 422 and "Déposez la convention signée à la main" in missing.get_data(
        as_text=True
    )
    scan = b"%PDF-1.4 signed by hand"
    signed = post_action(
        client, agreement_id, "sign", {"method": "upload", "scan": (io.BytesIO(scan), "s.pdf")}
    )
    assert signed.status_code == 302
    detail = client.get(f"/api/v1/agreements/{agreement_id}").get_json()
    (signature,) = detail["signatures"]
    assert signature["method"] == "upload" and signature["pdf_sha256"] == hashlib.sha256(scan).hexdigest()
    assert client.get(signature["document_url"]).data == scan


def test_an_avenant_reopens_approval_and_keeps_the_first_fingerprint(client, session, people):
    agreement_id = approved(client, session, people)
    officials = [bearer(session, people[w]) for w in ("mal_official", "loos_official")]
    sha = hashlib.sha256(
        client.get(f"/api/v1/agreements/{agreement_id}/convention.pdf", headers=officials[0]).data
    ).hexdigest()
    for headers in officials:
        assert transition(client, headers, agreement_id, "sign", document_sha256=sha).status_code == 200
    tech = bearer(session, people["mal_tech"])
    assert (
        client.get(f"/api/v1/agreements/{agreement_id}", headers=tech).get_json()["convention_sha256"] == sha
    )
    terms = {"lines": [{"description": "Podium", "quantity": 2, "unit": "lot"}]}
    amended = transition(client, tech, agreement_id, "amend", terms=terms, comment="Deux podiums")
    assert amended.status_code == 200, amended.get_json()
    body = amended.get_json()
    assert (body["status"], body["amendment"], body["convention_sha256"]) == ("pending_approval", 1, None)
    assert (
        "approve"
        in client.get(f"/api/v1/agreements/{agreement_id}", headers=officials[0]).get_json()[
            "allowed_actions"
        ]
    )
    history = client.get(f"/api/v1/agreements/{agreement_id}/history", headers=tech).get_json()["items"]
    assert history[-1]["data"]["previous_convention_sha256"] == sha


def test_an_english_reader_gets_english_labels_around_a_french_convention(client, session, people):
    agreement_id = approved(client, session, people)
    login(client, people["mal_tech"])
    page = client.get(f"/agreements/{agreement_id}/convention?lang=en").get_data(as_text=True)
    assert "Download the PDF" in page and "Back to the agreement" in page
    assert "Article 1 – Objet" in page and "Modèle à faire vérifier par votre service juridique" in page
    assert 'lang="fr"' in page
