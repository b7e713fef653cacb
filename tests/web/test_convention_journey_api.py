"""The convention journey through the JSON API, as clear steps: a Grande-Synthe need and a
Loos-en-Gohelle offer, the suggestion accepted, the proposal, two approvals carrying their
decision, the PDF convention read with pypdf, both signatures and the frozen fingerprint.

The author edits the draft (PATCH, with a stale version refused) and both sides talk it over
(a question on the offer, then the agreement's thread) before the proposal.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field

from pypdf import PdfReader
from sqlalchemy import select

from mutualisation.agreements.convention import REQUIRED_ARTICLES
from mutualisation.matching import engine
from mutualisation.matching.models import Suggestion
from mutualisation.matching.scoring import MatchingConfig
from tests.builders import PASSWORD, make_user
from tests.builders import make_neutral_listing as make_listing

GRANDE_SYNTHE, LOOS, LE_MENE = "59271", "62528", "22046"


@dataclass
class Journey:
    client: object
    headers: dict[str, dict] = field(default_factory=dict)
    people: dict[str, object] = field(default_factory=dict)
    need_id: int = 0
    offer_id: int = 0
    agreement_id: int = 0
    issued_sha256: str = ""

    def get(self, who: str, path: str):
        return self.client.get(path, headers=self.headers[who])

    def agreement(self, who: str = "gs_tech") -> dict:
        response = self.get(who, f"/api/v1/agreements/{self.agreement_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def act(self, who: str, action: str, expected: str, **fields) -> dict:
        version = self.agreement(who)["version"]
        response = self.client.post(
            f"/api/v1/agreements/{self.agreement_id}/transitions",
            json={"action": action, "version": version, **fields},
            headers=self.headers[who],
        )
        assert response.status_code == 200, (action, response.get_json())
        assert response.get_json()["status"] == expected
        return response.get_json()


def token(client, user) -> dict:
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_text(data: bytes) -> str:
    return flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


# The steps ---------------------------------------------------------------------------------------
def meet_the_people(journey: Journey, session) -> None:
    roles = {
        "gs_tech": ("technician", GRANDE_SYNTHE, {}),
        "gs_official": ("official", GRANDE_SYNTHE, {"name": "Martial Beyaert", "job_title": "maire"}),
        "loos_tech": ("technician", LOOS, {}),
        "loos_official": ("official", LOOS, {"name": "Jean-François Caron", "job_title": "maire"}),
        "mene_official": ("official", LE_MENE, {}),
    }
    for key, (role, code, extra) in roles.items():
        journey.people[key] = make_user(session, role, code, **extra)
        journey.headers[key] = token(journey.client, journey.people[key])


def publish_the_need_and_the_offer(journey: Journey, session) -> None:
    offer = make_listing(
        session,
        journey.people["loos_tech"],
        kind="offer",
        subcategory="event_stage",
        title="Podium modulaire 6 x 4 m",
    )
    need = make_listing(
        session,
        journey.people["gs_tech"],
        kind="need",
        subcategory="event_stage",
        title="Podium pour la fête",
    )
    offer.max_distance_km = need.max_distance_km = 300.0
    session.flush()
    engine.full_recompute(session, MatchingConfig(), coop=[])
    journey.offer_id, journey.need_id = offer.id, need.id


def accept_the_suggestion(journey: Journey, session) -> None:
    listed = journey.get("gs_tech", f"/api/v1/listings/{journey.need_id}/suggestions").get_json()
    items = listed["items"] if isinstance(listed, dict) else listed
    suggestion = next(s for s in items if s["offer_id"] == journey.offer_id)
    accepted = journey.client.post(
        f"/api/v1/suggestions/{suggestion['id']}/accept", headers=journey.headers["gs_tech"]
    )
    assert accepted.status_code == 201, accepted.get_json()
    journey.agreement_id = accepted.get_json()["id"]
    assert (
        session.scalars(select(Suggestion).where(Suggestion.id == suggestion["id"])).one().status
        == "accepted"
    )


def edit_the_draft(journey: Journey) -> None:
    """The author narrows the prefilled draft (PATCH with its terms version) before proposing."""
    draft = journey.agreement()
    assert draft["status"] == "draft"
    terms = {
        "starts_on": draft["terms"]["starts_on"],
        "ends_on": draft["terms"]["starts_on"],  # one day is enough for the fête
        "deposit_eur": 500,
        "lines": [{"description": "Podium modulaire 6 x 4 m", "quantity": 1, "unit": "unité"}],
    }
    path = f"/api/v1/agreements/{journey.agreement_id}"
    edited = journey.client.patch(
        path,
        json={"version": draft["version"], "terms": terms, "comment": "Un seul jour suffit."},
        headers=journey.headers["gs_tech"],
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["terms"]["deposit_eur"] == 500
    stale = journey.client.patch(
        path, json={"version": draft["version"], "terms": terms}, headers=journey.headers["gs_tech"]
    )
    assert stale.status_code == 409


def talk_it_over(journey: Journey) -> None:
    """A question on the offer, then the agreement's own thread, read by the other side."""
    question = journey.client.post(
        f"/api/v1/listings/{journey.offer_id}/messages",
        json={"body": "Le montage est-il compris ?"},
        headers=journey.headers["gs_tech"],
    )
    assert question.status_code == 201, question.get_json()
    thread = f"/api/v1/agreements/{journey.agreement_id}/messages"
    for who, body in (("gs_tech", "Livraison possible le matin ?"), ("loos_tech", "Oui, à 8 h.")):
        sent = journey.client.post(thread, json={"body": body}, headers=journey.headers[who])
        assert sent.status_code == 201, sent.get_json()
    read = journey.get("loos_tech", thread).get_json()["items"]
    assert [m["body"] for m in read] == ["Livraison possible le matin ?", "Oui, à 8 h."]
    assert all("@" not in str(m["author"]) for m in read)  # never an e-mail address


def propose_and_accept(journey: Journey) -> None:
    journey.act("gs_tech", "propose", "proposed")
    journey.act("loos_tech", "accept", "pending_approval")


def approve_with_decisions(journey: Journey) -> None:
    journey.act(
        "gs_official",
        "approve",
        "pending_approval",
        decision_kind="deliberation",
        decision_reference="2026-042",
        decision_date="2026-04-12",
    )
    done = journey.act(
        "loos_official",
        "approve",
        "approved",
        decision_kind="delegation",
        decision_reference="DEC-2026-17",
        decision_date="2026-04-20",
    )
    decisions = {a["territory"]: (a["decision_kind"], a["decision_date"]) for a in done["approvals"]}
    assert decisions == {GRANDE_SYNTHE: ("deliberation", "2026-04-12"), LOOS: ("delegation", "2026-04-20")}
    assert done["convention_sha256"] is None


def read_the_convention(journey: Journey) -> None:
    path = f"/api/v1/agreements/{journey.agreement_id}/convention.pdf"
    assert journey.client.get(path).status_code == 401
    assert journey.get("mene_official", path).status_code == 403
    response = journey.get("gs_tech", path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    journey.issued_sha256 = hashlib.sha256(response.data).hexdigest()
    assert response.headers["X-Convention-SHA256"] == journey.issued_sha256
    assert journey.get("loos_tech", path).data == response.data  # the exact bytes, for everyone
    assert journey.agreement()["convention_document_sha256"] == journey.issued_sha256
    text = pdf_text(response.data)
    assert "Modèle à faire vérifier par votre service juridique" in text
    assert "Fait à Loos-en-Gohelle" in text and "en deux exemplaires" in text


def sign_both(journey: Journey) -> None:
    # A technician does not sign for a territory; a stale document is a conflict.
    refused = journey.client.post(
        f"/api/v1/agreements/{journey.agreement_id}/transitions",
        json={
            "action": "sign",
            "version": journey.agreement()["version"],
            "document_sha256": journey.issued_sha256,
        },
        headers=journey.headers["gs_tech"],
    )
    assert refused.status_code == 403
    stale = journey.client.post(
        f"/api/v1/agreements/{journey.agreement_id}/transitions",
        json={"action": "sign", "version": journey.agreement()["version"], "document_sha256": "f" * 64},
        headers=journey.headers["gs_official"],
    )
    assert stale.status_code == 409
    journey.act("gs_official", "sign", "approved", document_sha256=journey.issued_sha256)
    signed = journey.act("loos_official", "sign", "signed", document_sha256=journey.issued_sha256)
    assert {s["pdf_sha256"] for s in signed["signatures"]} == {journey.issued_sha256}
    assert {s["method"] for s in signed["signatures"]} == {"in_app"}


def check_the_frozen_fingerprint(journey: Journey) -> None:
    detail = journey.agreement("loos_tech")
    assert detail["convention_sha256"] == journey.issued_sha256
    response = journey.get("gs_official", f"/api/v1/agreements/{journey.agreement_id}/convention.pdf")
    text = pdf_text(response.data)
    for party in ("La commune de Grande-Synthe", "La commune de Loos-en-Gohelle"):
        assert party in text
    assert "représentée par Martial Beyaert, maire" in text
    assert "délibération du conseil municipal n° 2026-042 du 12 avril 2026" in text
    assert "représentée par Jean-François Caron, maire" in text
    assert "n° DEC-2026-17 du 20 avril 2026" in text
    for number, (_key, title) in enumerate(REQUIRED_ARTICLES, start=1):
        assert f"Article {number} – {title}" in text, title
    assert journey.issued_sha256 in text.replace(" ", "")
    history = journey.get("gs_tech", f"/api/v1/agreements/{journey.agreement_id}/history").get_json()["items"]
    assert history[-1]["data"]["convention_sha256"] == journey.issued_sha256


def test_a_need_and_an_offer_become_a_signed_convention_with_its_fingerprint(client, session):
    journey = Journey(client)
    meet_the_people(journey, session)
    publish_the_need_and_the_offer(journey, session)
    accept_the_suggestion(journey, session)
    edit_the_draft(journey)
    talk_it_over(journey)
    propose_and_accept(journey)
    approve_with_decisions(journey)
    read_the_convention(journey)
    sign_both(journey)
    check_the_frozen_fingerprint(journey)
