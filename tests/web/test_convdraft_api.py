"""Drafts that start right (both listings), edits through PATCH, ISO dates in every JSON answer,
and the messages API, per role, never showing an e-mail address."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from mutualisation.agreements.models import Agreement
from mutualisation.matching import engine
from mutualisation.matching.models import Suggestion
from mutualisation.matching.scoring import MatchingConfig
from tests.builders import PASSWORD, make_user
from tests.builders import make_neutral_listing as make_listing

GRANDE_SYNTHE, LOOS, LE_MENE = "59271", "62528", "22046"
RFC1123 = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def token(client, user) -> dict:
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def journey(session):
    """The issue's journey: a two-week Grande-Synthe need, a three-month Loos offer with a CACES."""
    gs_tech = make_user(session, "technician", GRANDE_SYNTHE)
    loos_tech = make_user(session, "technician", LOOS)
    offer = make_listing(
        session,
        loos_tech,
        kind="offer",
        subcategory="wood_chipper",
        title="Nacelle élévatrice",
        quantity=3,
        unit="nacelles",
        available_from=dt.date(2027, 3, 1),
        available_until=dt.date(2027, 5, 31),
        qualified_operator_required=True,
        deposit_eur=500,
        logistics="both",
        max_distance_km=300.0,
    )
    need = make_listing(
        session,
        gs_tech,
        kind="need",
        subcategory="wood_chipper",
        title="Besoin d'une nacelle",
        quantity=1,
        unit="nacelle",
        available_from=dt.date(2027, 4, 1),
        available_until=dt.date(2027, 4, 14),
        insurance_required=True,
        logistics="pickup",
        max_distance_km=300.0,
    )
    engine.full_recompute(session, MatchingConfig(), coop=[])
    suggestion = session.scalars(select(Suggestion)).one()
    return {"gs": gs_tech, "loos": loos_tech, "offer": offer, "need": need, "suggestion": suggestion}


def accept(client, journey) -> dict:
    response = client.post(
        f"/api/v1/suggestions/{journey['suggestion'].id}/accept", headers=token(client, journey["gs"])
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_accepting_a_suggestion_drafts_the_needs_window_and_both_sides_requirements(client, journey):
    draft = accept(client, journey)
    terms = draft["terms"]
    assert (terms["starts_on"], terms["ends_on"]) == ("2027-04-01", "2027-04-14")
    assert terms["qualified_operator_required"] is True and terms["insurance_required"] is True
    assert terms["deposit_eur"] == 500 and terms["logistics"] == "pickup"
    assert terms["lines"] == [{"description": "Nacelle élévatrice", "quantity": 1.0, "unit": "nacelle"}]
    dt.datetime.fromisoformat(draft["created_at"])  # ISO 8601, not "Thu, 01 Apr 2027 00:00:00 GMT"
    assert draft["version"] == draft["terms_version"] == 0  # the name the answer carried before, kept


def walk(value, path="$"):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{path}[{i}]")
    else:
        yield path, value


def test_no_api_answer_writes_an_http_date(client, session, journey):
    draft = accept(client, journey)
    headers = token(client, journey["gs"])
    client.post(f"/api/v1/agreements/{draft['id']}/messages", json={"body": "Bonjour"}, headers=headers)
    paths = [
        "/api/v1/agreements",
        f"/api/v1/agreements/{draft['id']}",
        f"/api/v1/agreements/{draft['id']}/history",
        f"/api/v1/agreements/{draft['id']}/messages",
        f"/api/v1/listings/{journey['need'].id}/suggestions",
        f"/api/v1/listings/{journey['offer'].id}",
        "/api/v1/listings",
        "/api/v1/conversations",
        "/api/v1/notifications",
    ]
    checked = 0
    for path in paths:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        for where, value in walk(response.get_json()):
            assert not (isinstance(value, str) and RFC1123.search(value)), (path, where, value)
            checked += 1
    assert checked > 50


def test_the_json_provider_writes_iso_dates_for_raw_dicts(app):
    with app.app_context():
        text = app.json.dumps({"d": dt.date(2027, 4, 1), "t": dt.datetime(2027, 4, 1, 8, 30, tzinfo=dt.UTC)})
    assert text == '{"d": "2027-04-01", "t": "2027-04-01T08:30:00+00:00"}'


def test_the_author_edits_the_draft_and_a_stale_version_gets_409(client, journey):
    draft = accept(client, journey)
    path, gs = f"/api/v1/agreements/{draft['id']}", token(client, journey["gs"])
    new_terms = {"ends_on": "2027-04-10", "lines": [{"description": "Nacelle", "quantity": 1, "unit": "u"}]}
    edited = client.patch(path, json={"version": 0, "terms": new_terms, "comment": "Dix jours"}, headers=gs)
    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    assert body["version"] == 1 and body["status"] == "draft"
    assert body["terms"]["ends_on"] == "2027-04-10" and body["terms"]["qualified_operator_required"] is True
    stale = client.patch(path, json={"version": 0, "terms": new_terms}, headers=gs)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    other_side = client.patch(
        path, json={"version": 1, "terms": new_terms}, headers=token(client, journey["loos"])
    )
    assert other_side.status_code == 403
    bad = client.patch(path, json={"version": 1, "terms": {"ends_on": "2027-03-01"}}, headers=gs)
    assert bad.status_code == 422 and "ends_on" in bad.get_json()["error"]["fields"]
    missing = client.patch(path, json={"terms": new_terms}, headers=gs)
    assert missing.status_code == 422 and "version" in missing.get_json()["error"]["fields"]
    proposed = client.post(f"{path}/transitions", json={"action": "propose", "version": 1}, headers=gs)
    assert proposed.status_code == 200, proposed.get_json()
    late = client.patch(path, json={"version": 2, "terms": new_terms}, headers=gs)
    assert late.status_code == 409


def test_accepting_twice_keeps_one_draft(client, session, journey):
    first, second = accept(client, journey), accept(client, journey)
    assert first["id"] == second["id"]
    assert len(session.scalars(select(Agreement)).all()) == 1


@pytest.fixture
def roles(session, journey):
    return {
        "gs_tech": journey["gs"],
        "gs_official": make_user(session, "official", GRANDE_SYNTHE),
        "gs_actor": make_user(session, "actor", GRANDE_SYNTHE),
        "loos_tech": journey["loos"],
        "loos_official": make_user(session, "official", LOOS),
        "loos_actor": make_user(session, "actor", LOOS),
        "outsider": make_user(session, "technician", LE_MENE),
        "admin": make_user(session, "admin", LE_MENE),
    }


def test_a_question_about_a_listing_reaches_its_territory_and_no_outsider(client, journey, roles):
    offer = journey["offer"].id
    asked = client.post(
        f"/api/v1/listings/{offer}/messages",
        json={"body": "Faut-il un CACES ?"},
        headers=token(client, roles["gs_tech"]),
    )
    assert asked.status_code == 201, asked.get_json()
    message = asked.get_json()
    assert set(message) >= {"id", "author", "body", "created_at"}
    assert message["author"]["territory"]["code"] == GRANDE_SYNTHE
    dt.datetime.fromisoformat(message["created_at"])
    conversation = message["conversation_id"]
    # Same side (Grande-Synthe staff) reads the same thread; the listing's side answers it.
    same = client.get(
        f"/api/v1/listings/{offer}/messages", headers=token(client, roles["gs_official"])
    ).get_json()
    assert [m["body"] for m in same["items"]] == ["Faut-il un CACES ?"]
    answer = client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"body": "Oui, CACES R486."},
        headers=token(client, roles["loos_official"]),
    )
    assert answer.status_code == 201
    for role, expected in [
        ("gs_tech", 200),
        ("gs_official", 200),
        ("loos_tech", 200),
        ("loos_official", 200),
        ("admin", 200),
        ("gs_actor", 404),
        ("loos_actor", 404),
        ("outsider", 404),
    ]:
        response = client.get(
            f"/api/v1/conversations/{conversation}/messages", headers=token(client, roles[role])
        )
        assert response.status_code == expected, role
        text = response.get_data(as_text=True)
        assert not EMAIL.search(text), role
        if expected == 404:
            assert "CACES" not in text
    # An actor of Grande-Synthe asking opens their own conversation, not the staff's.
    actor_view = client.get(
        f"/api/v1/listings/{offer}/messages", headers=token(client, roles["gs_actor"])
    ).get_json()
    assert actor_view["items"] == [] and actor_view["conversation_id"] is None
    own = client.get(f"/api/v1/listings/{offer}/messages", headers=token(client, roles["loos_tech"]))
    assert own.status_code == 422
    listed = client.get("/api/v1/conversations", headers=token(client, roles["loos_tech"])).get_json()[
        "items"
    ]
    assert [c["id"] for c in listed] == [conversation] and listed[0]["about"] == "listing"
    envelope = client.get("/api/v1/conversations?per_page=1", headers=token(client, roles["loos_tech"]))
    assert {k: envelope.get_json()[k] for k in ("page", "per_page", "total")} == {
        "page": 1,
        "per_page": 1,
        "total": 1,
    }
    assert (
        client.get("/api/v1/conversations", headers=token(client, roles["outsider"])).get_json()["items"]
        == []
    )


def test_an_agreement_thread_is_open_to_its_parties_only(client, journey, roles):
    draft = accept(client, journey)
    path = f"/api/v1/agreements/{draft['id']}/messages"
    empty = client.post(path, json={"body": "   "}, headers=token(client, roles["gs_tech"]))
    assert empty.status_code == 422 and "body" in empty.get_json()["error"]["fields"]
    sent = client.post(path, json={"body": "Livraison possible ?"}, headers=token(client, roles["gs_tech"]))
    assert sent.status_code == 201
    for role, expected in [
        ("gs_official", 201),
        ("loos_tech", 201),
        ("loos_official", 201),
        ("gs_actor", 403),
        ("loos_actor", 403),
        ("outsider", 403),
        ("admin", 403),
    ]:
        response = client.post(path, json={"body": f"de {role}"}, headers=token(client, roles[role]))
        assert response.status_code == expected, (role, response.get_json())
    for role, expected in [("loos_tech", 200), ("admin", 200), ("outsider", 403), ("gs_actor", 403)]:
        response = client.get(path, headers=token(client, roles[role]))
        assert response.status_code == expected, role
        assert not EMAIL.search(response.get_data(as_text=True))
    bodies = [
        m["body"] for m in client.get(path, headers=token(client, roles["loos_tech"])).get_json()["items"]
    ]
    assert bodies == ["Livraison possible ?", "de gs_official", "de loos_tech", "de loos_official"]
    # One's conversations list the agreement's thread for its parties only.
    expected_in_list = {"loos_tech": True, "gs_official": True, "gs_actor": False, "outsider": False}
    for role, listed in expected_in_list.items():
        items = client.get("/api/v1/conversations", headers=token(client, roles[role])).get_json()["items"]
        threads = [c for c in items if c["about"] == "agreement" and c["agreement_id"] == draft["id"]]
        assert bool(threads) is listed, role
